// Reelay's review console: signs in with the tenant's API key (kept in this tab's sessionStorage),
// shows the previews waiting for review (approve, regenerate, reject) and every task, and keeps
// them fresh while tasks move. It talks only to the API it is served from. No framework, no build.
"use strict";

// The page is <base>/console, so the API is <base>: this origin, under the stage path.
const API_BASE = location.origin + location.pathname.replace(/\/console\/?$/, "");
const KEY_STORAGE = "reelay.apiKey";
// The review queue reads up to this many tasks at image_generated (the API's largest page, 5 times).
const REVIEW_PAGE_SIZE = 100;
const REVIEW_MAX_PAGES = 5;
// Poll every few seconds while a shown task is moving (or just after this console asked for work);
// otherwise now and then, for tasks submitted elsewhere. Never while the tab is hidden.
const FAST_POLL_MS = 3000;
const SLOW_POLL_MS = 30000;
const FAST_AFTER_ACTION_MS = 5 * 60 * 1000;
const WORKING = new Set(["initializing", "image_generating", "video_generating"]);

const state = {
  apiKey: null,
  filter: { status: "", shop: "", limit: 20 },
  cursors: [null], // cursors[i] reads page i of the task list; the first page needs none
  page: 0,
  nextCursor: null,
  pageErrorSlot: "filter-error", // where a failed task-list read is reported
  shown: { review: [], tasks: [] },
  fastUntil: 0,
  timer: null,
  refreshing: false,
  refreshAgain: false,
};

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// One call to the API; resolves to the parsed JSON answer, or throws an ApiError carrying the
// API's one error shape {"error": {"code", "message", "field"}}.
async function callApi(method, path, body, apiKey = state.apiKey) {
  const headers = { Authorization: `Bearer ${apiKey}`, Accept: "application/json" };
  const init = { method, headers, cache: "no-store", credentials: "omit", redirect: "error" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API_BASE + path, init);
  } catch (err) {
    throw new ApiError(0, "network_error", `the API did not answer (${err.message})`, null);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    const message = error.message || (data && data.message) || `the API answered ${response.status}`;
    throw new ApiError(response.status, error.code || `http_${response.status}`, message, error.field);
  }
  return data;
}

// "Could not approve: <the API's message> (409 wrong_status)".
function describe(error, failure) {
  if (!(error instanceof ApiError)) {
    return `${failure}: ${error.message}`;
  }
  const detail = error.status ? ` (${error.status} ${error.code})` : "";
  return `${failure}: ${error.message}${detail}`;
}

// ------------------------------------------------------------------ small DOM helpers

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

function showMessage(node, message) {
  node.textContent = message;
  node.hidden = !message;
}

function setBusy(form, busy) {
  for (const control of form.querySelectorAll("button, input, select, textarea")) {
    control.disabled = busy;
  }
  form.setAttribute("aria-busy", String(busy));
}

// Only http(s) URLs become links or media sources (never javascript: or data:).
function safeUrl(value) {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function titleOf(task) {
  const ref = task.external_ref || {};
  if (ref.title) return ref.title;
  if (ref.product_id) return `Product ${ref.product_id}`;
  const file = (task.product_url || "").split("?")[0].split("/").pop();
  return file || task.id;
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function isWaitingForReview(task) {
  return task.status === "image_generated" && !task.auto_video && !task.regenerated_as;
}

function isMoving(task) {
  return WORKING.has(task.status) || (task.status === "image_generated" && task.auto_video);
}

// ------------------------------------------------------------------ signing in and out

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const input = $("api-key");
  const error = $("sign-in-error");
  const key = input.value.trim();
  showMessage(error, "");
  if (!key) {
    showMessage(error, "Enter the tenant's API key (it starts with rly_).");
    input.focus();
    return;
  }
  setBusy(form, true);
  try {
    await callApi("GET", "/v1/product-videos?limit=1", undefined, key);
  } catch (err) {
    const failure = err.status === 401 ? "That API key was not accepted" : "Could not sign in";
    showMessage(error, describe(err, failure));
    setBusy(form, false);
    input.focus();
    return;
  }
  setBusy(form, false);
  input.value = "";
  sessionStorage.setItem(KEY_STORAGE, key);
  startSession(key);
}

function startSession(key) {
  state.apiKey = key;
  $("sign-in").hidden = true;
  $("session").hidden = false;
  $("review").hidden = false;
  $("tasks").hidden = false;
  refresh();
}

function signOut(message = "") {
  state.apiKey = null;
  sessionStorage.removeItem(KEY_STORAGE);
  clearTimeout(state.timer);
  state.shown = { review: [], tasks: [] };
  $("review-list").replaceChildren();
  $("task-list").replaceChildren();
  $("session").hidden = true;
  $("review").hidden = true;
  $("tasks").hidden = true;
  $("sign-in").hidden = false;
  showMessage($("sign-in-error"), message);
  $("api-key").focus();
}

function keyRejected(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut(describe(err, "The API key is no longer accepted; sign in again"));
    return true;
  }
  return false;
}

// ------------------------------------------------------------------ reading and refreshing

async function loadReview() {
  const items = [];
  let cursor = null;
  let pages = 0;
  do {
    const query = new URLSearchParams({ status: "image_generated", limit: String(REVIEW_PAGE_SIZE) });
    if (cursor) query.set("cursor", cursor);
    const page = await callApi("GET", `/v1/product-videos?${query}`);
    items.push(...page.items.filter(isWaitingForReview));
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor && pages < REVIEW_MAX_PAGES);
  return { items, more: Boolean(cursor) };
}

async function loadPage() {
  const query = new URLSearchParams({ limit: String(state.filter.limit) });
  if (state.filter.status) query.set("status", state.filter.status);
  if (state.filter.shop) query.set("shop", state.filter.shop);
  const cursor = state.cursors[state.page];
  if (cursor) query.set("cursor", cursor);
  return callApi("GET", `/v1/product-videos?${query}`);
}

// Reads both lists; overlapping calls (a poll while an action's refresh runs) are folded into one more round.
async function refresh() {
  if (!state.apiKey) return;
  if (state.refreshing) {
    state.refreshAgain = true;
    return;
  }
  clearTimeout(state.timer);
  state.refreshing = true;
  try {
    do {
      state.refreshAgain = false;
      await refreshOnce();
    } while (state.refreshAgain && state.apiKey);
  } finally {
    state.refreshing = false;
  }
  schedule();
}

async function refreshOnce() {
  const key = state.apiKey;
  const [review, page] = await Promise.allSettled([loadReview(), loadPage()]);
  if (state.apiKey !== key) return; // signed out meanwhile
  for (const result of [review, page]) {
    if (result.status === "rejected" && keyRejected(result.reason)) return;
  }
  if (review.status === "fulfilled") {
    showMessage($("review-error"), "");
    renderReview(review.value);
  } else {
    showMessage($("review-error"), describe(review.reason, "Could not load the previews waiting for review"));
  }
  const pageError = $(state.pageErrorSlot);
  if (page.status === "fulfilled") {
    showMessage($("filter-error"), "");
    showMessage($("pager-error"), "");
    renderTasks(page.value);
    if (review.status === "fulfilled" && missedByReview(review.value, page.value)) {
      // The two lists were read on either side of a preview arriving: read again soon, not at
      // the slow pace meant for a page where nothing moves.
      state.fastUntil = Math.max(state.fastUntil, Date.now() + FAST_POLL_MS);
    }
  } else {
    showMessage(pageError, describe(page.reason, "Could not load the tasks"));
  }
  const moving = [...state.shown.review, ...state.shown.tasks].filter(isMoving).length;
  $("session-status").textContent =
    `Updated ${new Date().toLocaleTimeString()}` +
    (moving ? ` · ${moving} moving, checking every ${FAST_POLL_MS / 1000} s` : "");
}

// Whether the page shows a task waiting for review that the (complete) review list lacks.
function missedByReview(review, page) {
  if (review.more) return false;
  const listed = new Set(review.items.map((task) => task.id));
  return page.items.some((task) => isWaitingForReview(task) && !listed.has(task.id));
}

function schedule() {
  clearTimeout(state.timer);
  if (!state.apiKey || document.hidden) return;
  const moving = [...state.shown.review, ...state.shown.tasks].some(isMoving);
  const fast = moving || Date.now() < state.fastUntil;
  state.timer = setTimeout(refresh, fast ? FAST_POLL_MS : SLOW_POLL_MS);
}

function onVisibilityChange() {
  if (document.hidden) {
    clearTimeout(state.timer);
  } else {
    refresh();
  }
}

// ------------------------------------------------------------------ rendering

// Puts one element per task into `list` in order, reusing the element of a task that has not
// changed: a half-typed prompt, the focus and a playing video survive a refresh.
function renderKeyed(list, tasks, build) {
  const existing = new Map([...list.children].map((node) => [node.dataset.taskId, node]));
  const wanted = tasks.map((task) => {
    const version = `${task.status}|${task.updated_at}|${task.auto_video}|${task.regenerated_as || ""}`;
    const old = existing.get(task.id);
    if (old && old.dataset.version === version) return old;
    const fresh = build(task);
    fresh.dataset.taskId = task.id;
    fresh.dataset.version = version;
    return fresh;
  });
  const keep = new Set(wanted);
  for (const node of existing.values()) {
    if (!keep.has(node)) node.remove();
  }
  let next = list.firstElementChild;
  for (const node of wanted) {
    if (node === next) {
      next = next.nextElementSibling;
    } else {
      list.insertBefore(node, next);
    }
  }
}

function renderReview({ items, more }) {
  state.shown.review = items;
  renderKeyed($("review-list"), items, reviewCard);
  $("review-count").textContent = items.length ? `(${items.length}${more ? "+" : ""})` : "";
  $("review-empty").hidden = items.length > 0;
}

function renderTasks(page) {
  state.shown.tasks = page.items;
  state.nextCursor = page.next_cursor || null;
  renderKeyed($("task-list"), page.items, taskItem);
  $("tasks-empty").hidden = page.items.length > 0;
  $("newer").disabled = state.page === 0;
  $("older").disabled = !state.nextCursor;
  $("page-label").textContent = `Page ${state.page + 1}`;
}

function preview(task, className) {
  const src = safeUrl(task.generated_photo_url);
  if (!src) {
    const text = WORKING.has(task.status) ? "Preview on its way…" : "No preview";
    return el("div", { className: `${className} placeholder` }, text);
  }
  return el("img", { className, src, alt: `Preview image for ${titleOf(task)}`, decoding: "async" });
}

function meta(task) {
  const ref = task.external_ref || {};
  const parts = [`Submitted ${when(task.created_at)}`, task.aspect_ratio, task.type];
  if (ref.shop) parts.push(`shop ${ref.shop}`);
  if (ref.source && ref.source !== "api") parts.push(`from ${ref.source}`);
  const line = el("p", { className: "meta" }, parts.join(" · "));
  const product = safeUrl(task.product_url);
  if (product) {
    line.append(" · ", el("a", { href: product, target: "_blank", rel: "noreferrer noopener" }, "product image"));
  }
  return line;
}

function lineage(task) {
  const lines = [];
  if (task.regen_source_id) {
    lines.push(el("p", { className: "lineage" }, "Regenerated from ", el("code", {}, task.regen_source_id)));
  }
  if (task.regenerated_as) {
    lines.push(el("p", { className: "lineage" }, "Replaced by a new preview: ", el("code", {}, task.regenerated_as)));
  }
  return lines;
}

function reviewCard(task) {
  const body = el(
    "div",
    { className: "card-body" },
    el("h3", {}, titleOf(task)),
    el("p", { className: "task-id" }, el("code", {}, task.id)),
    meta(task),
    ...lineage(task),
    task.image_prompt ? el("p", { className: "prompt" }, `Image prompt: ${task.image_prompt}`) : null,
    approveForm(task),
    regenerateForm(task),
    rejectForm(task),
  );
  return el("li", { className: "card" }, el("figure", {}, preview(task, "preview")), body);
}

function statusBadge(status) {
  return el("span", { className: `status status-${status}` }, status.replaceAll("_", " "));
}

function taskMedia(task) {
  const video = safeUrl(task.generated_video_url);
  if (task.status === "video_generated" && video) {
    const player = el("video", { className: "media", controls: true, preload: "metadata", playsInline: true });
    const poster = safeUrl(task.generated_photo_url);
    if (poster) player.poster = poster;
    player.src = video;
    player.setAttribute("aria-label", `Video for ${titleOf(task)}`);
    return player;
  }
  return preview(task, "media");
}

function taskItem(task) {
  const body = el(
    "div",
    { className: "task-body" },
    el("h3", {}, titleOf(task)),
    el("p", { className: "task-line" }, statusBadge(task.status), " ", el("code", {}, task.id)),
    meta(task),
    task.status === "failed"
      ? el("p", { className: "reason" }, `Failed: ${task.failed_reason || "no reason given"}`)
      : null,
    isWaitingForReview(task) ? el("p", { className: "waiting" }, "Waiting for review (above).") : null,
    ...lineage(task),
  );
  const item = el("li", { className: "task" }, taskMedia(task), body);
  item.dataset.status = task.status;
  return item;
}

// ------------------------------------------------------------------ review actions

// A form whose submit calls the API once; its error appears beside its own button.
function actionForm(kind, legend, controls, buttonText, run) {
  const button = el("button", { type: "submit", className: `button-${kind}` }, buttonText);
  const error = el("p", { className: "error", hidden: true });
  error.setAttribute("role", "alert");
  const note = el("p", { className: "note", hidden: true });
  note.setAttribute("role", "status");
  const form = el(
    "form",
    { className: `action action-${kind}`, noValidate: true },
    el("fieldset", {}, el("legend", {}, legend), ...controls, el("div", { className: "act" }, button, error, note)),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showMessage(error, "");
    showMessage(note, "");
    setBusy(form, true);
    try {
      showMessage(note, await run(form));
      state.fastUntil = Date.now() + FAST_AFTER_ACTION_MS;
    } catch (err) {
      if (keyRejected(err)) return;
      showMessage(error, describe(err, `Could not ${kind}`));
    } finally {
      setBusy(form, false);
    }
    refresh();
  });
  return form;
}

function field(labelText, control) {
  return el("label", { className: "field" }, el("span", {}, labelText), control);
}

function text(form, name) {
  const value = form.elements[name].value.trim();
  return value || undefined;
}

function approveForm(task) {
  const motion = el(
    "select",
    { name: "motion_style" },
    el("option", { value: "" }, "Creatify's default"),
    el("option", { value: "display" }, "display"),
    el("option", { value: "talking" }, "talking"),
  );
  if (task.motion_style) motion.value = task.motion_style;
  const prompt = el("textarea", { name: "video_prompt", rows: 2, maxLength: 2000, value: task.video_prompt || "" });
  return actionForm(
    "approve",
    "Approve",
    [field("Video prompt", prompt), field("Motion style", motion)],
    "Approve and make the video",
    async (form) => {
      await callApi("POST", `/v1/product-videos/${encodeURIComponent(task.id)}/video`, {
        video_prompt: text(form, "video_prompt"),
        motion_style: text(form, "motion_style"),
      });
      return "Approved: the video is being made.";
    },
  );
}

function regenerateForm(task) {
  const prompt = el("input", { name: "image_prompt", type: "text", maxLength: 2000, value: task.image_prompt || "" });
  return actionForm(
    "regenerate",
    "Regenerate",
    [field("New image prompt", prompt)],
    "Regenerate preview",
    async (form) => {
      const created = await callApi("POST", `/v1/product-videos/${encodeURIComponent(task.id)}/regenerate`, {
        image_prompt: text(form, "image_prompt"),
      });
      return `A new preview is being made as task ${created.id}.`;
    },
  );
}

function rejectForm(task) {
  const reason = el("input", { name: "reason", type: "text", maxLength: 500, placeholder: "wrong colour" });
  return actionForm("reject", "Reject", [field("Reason", reason)], "Reject", async (form) => {
    await callApi("POST", `/v1/product-videos/${encodeURIComponent(task.id)}/reject`, {
      reason: text(form, "reason"),
    });
    return "Rejected.";
  });
}

// ------------------------------------------------------------------ filters and pages

function applyFilter(event) {
  event.preventDefault();
  const form = event.currentTarget;
  state.filter = {
    status: form.elements.status.value,
    shop: form.elements.shop.value.trim(),
    limit: Number(form.elements.limit.value),
  };
  state.cursors = [null];
  state.page = 0;
  state.pageErrorSlot = "filter-error";
  refresh();
}

function turnPage(step) {
  if (step > 0) {
    if (!state.nextCursor) return;
    state.cursors[state.page + 1] = state.nextCursor;
  } else if (state.page === 0) {
    return;
  }
  state.page += step;
  state.cursors.length = state.page + 1;
  state.pageErrorSlot = "pager-error";
  refresh();
}

function init() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("refresh").addEventListener("click", () => refresh());
  $("filter-form").addEventListener("submit", applyFilter);
  $("older").addEventListener("click", () => turnPage(1));
  $("newer").addEventListener("click", () => turnPage(-1));
  document.addEventListener("visibilitychange", onVisibilityChange);
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) {
    startSession(saved);
  } else {
    $("api-key").focus();
  }
}

init();
