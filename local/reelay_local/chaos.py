"""A chaos run: N tasks through the embedded stack while the Creatify simulator misbehaves.

Shared by `bench/chaos.py` (figures beside goals) and the slow test that asserts the same goals.
Everything runs in this process over 127.0.0.1: moto with template.yaml deployed, the gateway
and the background pollers as `reelay up` runs them, the simulator with the fault mix below,
and a webhook receiver that verifies each delivery's signature.

The fault mix (the simulator's `Faults`): 20% of API requests answer a gateway 5xx (502, 503
or 504, chosen evenly), 10% a 429, 10% of POSTs hang past the client's read timeout after the
work was done, 30% of callbacks are dropped and 20% sent twice, image-stage callbacks are held
back until after the video stage's (reordered), and 10% of generation stages fail.

The bound (`ChaosConfig.bound_seconds`) is what every task must end within, from its
submission to its terminal status. It adds up the waits a task can meet:
- the backlog: every paid call of the run, each held by the worker up to the read timeout when
  it hangs, shared by ProviderConcurrency workers (plus a per-job allowance for the stack);
- Creatify's own image and video time;
- two lost callbacks (one per stage): each found by the reconciler once the task has been
  quiet for reconcile_after, at its next run (one schedule interval later), plus one more
  interval for a reconciler run whose own look-up failed;
- two unknown outcomes Creatify cannot settle at once (a 504, or a hang whose work did not
  land), one per paid call: for each the grace and a read timeout, then the call is made
  again. A third on one task (the call made again after the grace meets another 504: about
  one call in 225 under this mix) adds another grace; the slack covers it only while the
  grace is short;
- two safe-to-retry failures on the worker's retry schedule (2 s + 10 s) after the client's
  own retries.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
import httpx

from reelay.deps import Deps
from reelay.logic.provider_jobs import RETRY_DELAYS_SECONDS
from reelay.logic.tenants import create_tenant
from reelay.models.events import event_id
from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from reelay_local.simulators.creatify import CreatifySimulator, Faults, SimulatorConfig

# Per provider job, what the embedded stack itself takes on one machine (moto, the handler).
JOB_ALLOWANCE_SECONDS = 0.25
SLACK_SECONDS = 15.0


@dataclass(frozen=True)
class ChaosConfig:
    tasks: int = 200
    concurrency: int = 5
    image_seconds: float = 1.0
    video_seconds: float = 2.0
    read_timeout: float = 2.0
    grace_seconds: int = 20
    reconcile_after: int = 10
    reconcile_every: float = 5.0
    reorder_hold_seconds: float = 5.0
    seed: int | None = 7
    rate_5xx: float = 0.2
    rate_429: float = 0.1
    hang_rate: float = 0.1
    drop_rate: float = 0.3
    duplicate_rate: float = 0.2
    fail_rate: float = 0.1

    @property
    def bound_seconds(self) -> float:
        """Within this long of its submission every task ends terminal (see the module docstring)."""
        per_call = self.hang_rate * self.read_timeout + JOB_ALLOWANCE_SECONDS
        backlog = self.tasks * 2 * per_call / self.concurrency
        lost_callbacks = 2 * (self.reconcile_after + self.reconcile_every) + self.reconcile_every
        unknown = 2 * (self.grace_seconds + self.read_timeout)
        retries = sum(RETRY_DELAYS_SECONDS[:2])
        creatify = self.image_seconds + self.video_seconds
        return backlog + creatify + lost_callbacks + unknown + retries + SLACK_SECONDS

    def faults(self) -> Faults:
        return Faults(
            rate_5xx=self.rate_5xx,
            rate_429=self.rate_429,
            hang_rate=self.hang_rate,
            hang_seconds=2 * self.read_timeout,
            webhook_drop_rate=self.drop_rate,
            webhook_duplicate_rate=self.duplicate_rate,
            webhook_reorder=True,
            reorder_max_hold_seconds=self.reorder_hold_seconds,
            fail_rate=self.fail_rate,
        )


@dataclass
class ChaosResult:
    config: ChaosConfig
    elapsed: float = 0.0
    terminal: int = 0
    longest_open: float = 0.0
    double_paid: int = 0
    duplicate_events: int = 0
    lost_events: int = 0
    lost_deliveries: int = 0
    duplicate_deliveries: int = 0
    reconciler_put_backs: int = 0
    reconciler_left_waiting: int = 0
    worker_put_backs: int = 0
    most_runs_at_once: int = 0
    most_messages_one_job: int = 0
    longest_event_lag: float = 0.0
    failed: int = 0
    failed_reasons: Counter[str] = field(default_factory=Counter)

    def rows(self) -> list[tuple[str, str, str, bool]]:
        n, bound = self.config.tasks, self.config.bound_seconds
        return [
            ("tasks terminal", f"{self.terminal} of {n} ({self.failed} failed)", f"{n}", self.terminal == n),
            ("longest open", f"{self.longest_open:.1f} s", f"<= {bound:.0f} s", self.longest_open <= bound),
            ("double-paid calls", f"{self.double_paid}", "0", self.double_paid == 0),
            ("duplicate events", f"{self.duplicate_events}", "0", self.duplicate_events == 0),
            ("lost events", f"{self.lost_events}", "0", self.lost_events == 0),
            (
                "lost deliveries",
                f"{self.lost_deliveries} (repeated: {self.duplicate_deliveries})",
                "0",
                self.lost_deliveries == 0,
            ),
            (
                "reconciler put-backs",
                f"{self.reconciler_put_backs} (quiet tasks left to their queued job: "
                f"{self.reconciler_left_waiting})",
                "0 (no job was lost)",
                self.reconciler_put_backs == 0,
            ),
            (
                "runs at once per job",
                f"{self.most_runs_at_once} at most (worker put-backs: {self.worker_put_backs}, "
                f"most messages for one job: {self.most_messages_one_job})",
                "1",
                self.most_runs_at_once <= 1,
            ),
            ("event lag", f"{self.longest_event_lag:.1f} s at most (task end to event/webhook)", "-", True),
        ]

    @property
    def met(self) -> bool:
        return all(met for *_, met in self.rows())


class _JobWatch:
    """Counts provider-job messages as the worker receives them, and runs per (task, kind) at once.

    It sits between the provider queue's poller and the worker, where Lambda's logs would show
    each record: the worker gets each record of a batch in an invocation of its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running: Counter[tuple[str, str]] = Counter()
        self.peak = 0
        self.job_ids: dict[tuple[str, str], set[str]] = defaultdict(set)

    def wrap(self, instance: Any) -> Any:
        watch = self

        class Watched:
            _instance = instance

            def invoke(self, event: dict[str, Any]) -> Any:
                # Record by record, as the worker's batch processor takes them, so a run is
                # counted while its own record is handled, not while its batch mate's is.
                failures: list[Any] = []
                for record in event.get("Records", []):
                    key, job_id = watch._key(record)
                    with watch._lock:
                        watch.running[key] += 1
                        watch.peak = max(watch.peak, watch.running[key])
                        watch.job_ids[key].add(job_id)
                    try:
                        answer = instance.invoke({**event, "Records": [record]})
                    finally:
                        with watch._lock:
                            watch.running[key] -= 1
                    failures += (answer or {}).get("batchItemFailures", [])
                return {"batchItemFailures": failures}

            def __getattr__(self, name: str) -> Any:
                return getattr(instance, name)

        return Watched()

    @staticmethod
    def _key(record: dict[str, Any]) -> tuple[tuple[str, str], str]:
        body = json.loads(record["body"])
        return (body["task_id"], body["kind"]), body.get("job_id", "first")


def _watch_provider_jobs(stack: EmbeddedStack, watch: _JobWatch) -> None:
    instances = stack.stack.sqs_sources["ProviderWorkerFunction"].instances
    assert instances is not None, "the provider queue runs with ProviderConcurrency"
    acquire = instances.acquire

    def watched_acquire(timeout: float | None = None) -> Any:
        instance = acquire(timeout)
        return None if instance is None else watch.wrap(instance)

    release = instances.release
    instances.acquire = watched_acquire  # type: ignore[method-assign]
    instances.release = lambda instance: release(getattr(instance, "_instance", instance))  # type: ignore[method-assign]


def run_chaos(config: ChaosConfig, *, deadline_seconds: float | None = None) -> ChaosResult:
    """Submit `config.tasks` tasks, wait until all are terminal (or the deadline), and count."""
    deadline_seconds = deadline_seconds or 2 * config.bound_seconds + 60
    sim_config = SimulatorConfig(
        image_seconds=config.image_seconds,
        video_seconds=config.video_seconds,
        accounts={"chaos-id": ("chaos-key", 10.0 * config.tasks)},
        faults=config.faults(),
        media_size=64,
        video_seconds_of_footage=0.25,
        video_fps=4,
        seed=config.seed,
    )
    from moto import mock_aws

    with CreatifySimulator(sim_config) as sim, mock_aws(), WebhookReceiver() as receiver:

        @cache
        def clients(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")

        stack = EmbeddedStack.start(
            clients,
            creatify_base_url=sim.base_url,
            creatify_credentials=("chaos-id", "chaos-key"),
            log_level="ERROR",
            provider_concurrency=config.concurrency,
            reconcile_after_seconds=config.reconcile_after,
            extra_env={
                "CREATIFY_READ_TIMEOUT_SECONDS": str(config.read_timeout),
                "UNKNOWN_OUTCOME_GRACE_SECONDS": str(config.grace_seconds),
            },
        )
        stack.reconcile_every_seconds = config.reconcile_every
        reports: list[dict[str, Any]] = []
        run_schedule = stack.stack.run_schedule

        def counted_schedule(logical_id: str) -> Any:
            report = run_schedule(logical_id)
            reports.append(report)
            return report

        stack.stack.run_schedule = counted_schedule  # type: ignore[method-assign]
        watch = _JobWatch()
        _watch_provider_jobs(stack, watch)
        try:
            return _drive(config, stack, sim, receiver, watch, reports, deadline_seconds)
        finally:
            stack.stop()


def _drive(
    config: ChaosConfig,
    stack: EmbeddedStack,
    sim: CreatifySimulator,
    receiver: WebhookReceiver,
    watch: _JobWatch,
    reports: list[dict[str, Any]],
    deadline_seconds: float,
) -> ChaosResult:
    result = ChaosResult(config)
    stack.run_in_background()
    tenant = create_tenant("chaos", Deps())
    receiver.secret = tenant.webhook_secret
    tasks = Deps().tasks
    started = time.time()
    ids: list[str] = []
    with httpx.Client(base_url=stack.api_url, timeout=30) as api:
        headers = {"Authorization": f"Bearer {tenant.api_key}"}
        body = {"product_url": sim.sample_product_url("sneaker"), "webhook_url": receiver.url}
        for _ in range(config.tasks):
            answer = api.post("/v1/product-videos", json=body, headers=headers)
            answer.raise_for_status()
            ids.append(answer.json()["id"])
    events = _Arrivals()
    deadline = started + deadline_seconds
    while time.time() < deadline:
        events.read(stack)
        done = [t for t in (tasks.get(i) for i in ids) if t is not None and t.terminal]
        if len(done) == len(ids):
            break
        time.sleep(1.0)
    # Let the last events and deliveries arrive (and any duplicate right behind them).
    finals = {i: t for i in ids if (t := tasks.get(i)) is not None and t.terminal}
    expected = {event_id(t.id, t.status) for t in finals.values()}
    drain_until = time.time() + 30
    while time.time() < drain_until:
        events.read(stack)
        hooks = {w.headers.get("webhook-id") for w in receiver.received}
        if expected <= events.bus.keys() and expected <= events.topic.keys() and expected <= hooks:
            time.sleep(2.0)
            events.read(stack)
            break
        time.sleep(0.5)
    result.elapsed = time.time() - started
    _count(result, ids, tasks, finals, sim, receiver, events, watch, reports)
    return result


@dataclass
class _Arrivals:
    """Events on the consumer queues by event_id, with when each copy arrived."""

    bus: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    topic: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def read(self, stack: EmbeddedStack) -> None:
        sqs = stack.consumers.sqs
        for url, into in (
            (stack.consumers.events_queue_url, self.bus),
            (stack.consumers.topic_queue_url, self.topic),
        ):
            while True:
                answer = sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["SentTimestamp"]
                )
                messages = answer.get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    body = json.loads(message["Body"])
                    detail = body["detail"] if "detail" in body else json.loads(body["Message"])
                    into[detail["event_id"]].append(int(message["Attributes"]["SentTimestamp"]) / 1000)
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _count(
    result: ChaosResult,
    ids: list[str],
    tasks: Any,
    finals: dict[str, Any],
    sim: CreatifySimulator,
    receiver: WebhookReceiver,
    events: _Arrivals,
    watch: _JobWatch,
    reports: list[dict[str, Any]],
) -> None:
    now = datetime.now(UTC)
    result.terminal = len(finals)
    failed = [t for t in finals.values() if t.status.value == "failed"]
    result.failed = len(failed)
    result.failed_reasons = Counter(t.failed_reason or "" for t in failed)
    opens = []
    for task_id in ids:
        task = tasks.get(task_id)
        end = task.updated_at if task_id in finals else now
        opens.append((end - task.created_at).total_seconds())
    result.longest_open = max(opens, default=0.0)

    # Double-paid, from the simulator's own records: a Creatify task made beyond one per Reelay
    # task, and a gen_video Creatify charged (answered 2xx) more than once for one Creatify task.
    made = sim.calls(method="POST", path_contains="/gen_image/")
    recorded = {t.provider_task_id for t in (tasks.get(i) for i in ids) if t.provider_task_id}
    result.double_paid = max(0, sum(1 for c in made if 200 <= c.status_code < 300) - len(recorded))
    videos = Counter(
        c.path for c in sim.calls(method="POST", path_contains="/gen_video/") if 200 <= c.status_code < 300
    )
    result.double_paid += sum(count - 1 for count in videos.values() if count > 1)

    expected = {event_id(t.id, t.status): t for t in finals.values()}
    for arrivals in (events.bus, events.topic):
        result.duplicate_events += sum(len(copies) - 1 for copies in arrivals.values() if len(copies) > 1)
        result.lost_events += sum(1 for eid in expected if eid not in arrivals)
    hooks = Counter(w.headers.get("webhook-id") for w in receiver.received if w.verified)
    result.lost_deliveries = sum(1 for eid in expected if eid not in hooks)
    result.duplicate_deliveries = sum(count - 1 for count in hooks.values() if count > 1)
    lags = [
        min(copies) - task.updated_at.timestamp()
        for arrivals in (events.bus, events.topic)
        for eid, task in expected.items()
        if (copies := arrivals.get(eid))
    ]
    result.longest_event_lag = max(lags, default=0.0)

    result.reconciler_put_backs = sum(r.get("jobs_requeued", 0) for r in reports if isinstance(r, dict))
    result.reconciler_left_waiting = sum(r.get("jobs_waiting", 0) for r in reports if isinstance(r, dict))
    result.most_runs_at_once = watch.peak
    result.most_messages_one_job = max((len(j) for j in watch.job_ids.values()), default=0)
    result.worker_put_backs = sum(len(j) - 1 for j in watch.job_ids.values()) - result.reconciler_put_backs
