"""The Creatify API itself: routing of /api/ paths, authentication, and each endpoint's behaviour.

Order of checks follows Django/DRF: URL resolution (unknown path: 404, before auth), then
authentication (401), then the method (405), then the view (404 for the object, 400 for the body,
400 for the task's status, 402 for credits). Transport concerns (faults, latency, recording) live
in the server, so this module reads like the API reference.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from reelay_local.simulators.creatify import media, personas, validation
from reelay_local.simulators.creatify.config import SimulatorConfig
from reelay_local.simulators.creatify.lifecycle import TaskLifecycle
from reelay_local.simulators.creatify.store import (
    HAS_IMAGE,
    InsufficientCredits,
    Store,
    Task,
    TaskNotFound,
    WrongStatus,
    now,
)
from reelay_local.simulators.creatify.validation import ParseFailed, ValidationFailed

NOT_PROVIDED = "Authentication credentials were not provided."
INVALID_CREDENTIALS = "Invalid API credentials."


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    # Last value per name, as Django's QueryDict.get gives; `query_pairs` keeps them all.
    query: Mapping[str, str]
    query_pairs: list[tuple[str, str]]
    headers: Mapping[str, str]
    body: bytes
    # Scheme and host the client used, for absolute URLs in answers (DRF's build_absolute_uri).
    origin: str

    def header(self, name: str) -> str | None:
        value = self.headers.get(name.lower())
        return value if value else None


@dataclass
class ApiResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> ApiResponse:
    # DRF's JSONRenderer writes compact UTF-8 JSON.
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return ApiResponse(status, body, "application/json", headers or {})


def detail(status: int, message: str) -> ApiResponse:
    return json_response(status, {"detail": message})


# DRF's default lookup pattern: anything up to the next slash or dot, checked by the view.
_ID = r"(?P<id>[^/.]+)"
_ROUTES: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(r"^/api/product_to_videos/$"), {"GET": "list_tasks"}),
    (re.compile(r"^/api/product_to_videos/gen_image/$"), {"POST": "gen_image"}),
    (re.compile(rf"^/api/product_to_videos/{_ID}/gen_video/$"), {"POST": "gen_video"}),
    (re.compile(rf"^/api/product_to_videos/{_ID}/regen_image/$"), {"POST": "regen_image"}),
    (re.compile(rf"^/api/product_to_videos/{_ID}/regen_video/$"), {"POST": "regen_video"}),
    (re.compile(rf"^/api/product_to_videos/{_ID}/$"), {"GET": "get_task"}),
    (re.compile(r"^/api/personas/$"), {"GET": "list_personas"}),
    (re.compile(r"^/api/personas/paginated/$"), {"GET": "paginated_personas"}),
    (re.compile(rf"^/api/personas/{_ID}/$"), {"GET": "get_persona"}),
    (re.compile(r"^/api/remaining_credits/$"), {"GET": "remaining_credits"}),
]


class CreatifyApi:
    def __init__(
        self, config: SimulatorConfig, store: Store, lifecycle: TaskLifecycle, base_url: Callable[[], str]
    ) -> None:
        self._config = config
        self._store = store
        self._lifecycle = lifecycle
        self._base_url = base_url
        self._ids = random.Random(config.seed)
        self._ids_lock = threading.Lock()

    def handle(self, request: ApiRequest) -> tuple[ApiResponse, str | None]:
        """The answer to one /api/ request, and the api_id it authenticated as (None if it did not)."""
        for pattern, methods in _ROUTES:
            match = pattern.match(request.path)
            if match is None:
                continue
            api_id, api_key = request.header("X-API-ID"), request.header("X-API-KEY")
            if api_id is None or api_key is None:
                return detail(401, NOT_PROVIDED), None
            if not self._store.authenticate(api_id, api_key):
                return detail(401, INVALID_CREDENTIALS), None
            # HEAD is GET without a body, as Django's View arranges.
            action = methods.get("GET" if request.method == "HEAD" else request.method)
            if action is None:
                allowed = ", ".join(sorted(methods))
                return (
                    json_response(
                        405, {"detail": f'Method "{request.method}" not allowed.'}, {"Allow": allowed}
                    ),
                    api_id,
                )
            try:
                return getattr(self, action)(request, api_id, match.groupdict()), api_id
            except ValidationFailed as error:
                return json_response(400, error.errors), api_id
            except ParseFailed as error:
                return detail(error.status, error.detail), api_id
            except TaskNotFound:
                return detail(404, "Not found."), api_id
            except InsufficientCredits as error:
                return detail(402, str(error)), api_id
        return detail(404, "Not found."), None

    # ---- product_to_videos

    def gen_image(self, request: ApiRequest, api_id: str, _: dict[str, str]) -> ApiResponse:
        fields = validation.validate_gen_image(_body(request))
        product_name = media.product_name_from_url(fields["product_url"])
        override, avatar_name = None, None
        if fields["type"] == "product_avatar":
            override = fields.get("override_avatar")
            chosen = personas.get_persona(override) if override else None
            avatar_name = (chosen or personas.pick_persona(fields["product_url"], product_name)).creator_name
        created = now()
        task = Task(
            id=self._new_id(),
            account=api_id,
            product_url=fields["product_url"],
            type=fields["type"],
            aspect_ratio=fields["aspect_ratio"],
            created_at=created,
            updated_at=created,
            # Creatify only uses the avatar for product_avatar, so the stored value says so.
            override_avatar=override,
            product_showcase_url=fields.get("product_showcase_url"),
            image_prompt=fields.get("image_prompt"),
            webhook_url=fields.get("webhook_url"),
            avatar_name=avatar_name,
        )
        task = self._store.create(api_id, self._config.cost_gen_image, task)
        self._lifecycle.start_image_stage(task)
        return json_response(200, task.to_api())

    def gen_video(self, request: ApiRequest, api_id: str, params: dict[str, str]) -> ApiResponse:
        task_id = _task_id(params)
        self._store.get(api_id, task_id)
        fields = validation.validate_gen_video(_body(request))
        changes: dict[str, Any] = {
            "motion_style": fields.get("motion_style"),
            "video_prompt": fields.get("video_prompt"),
        }
        if "webhook_url" in fields:
            # A webhook_url given for the video stage replaces the image stage's one.
            changes["webhook_url"] = fields["webhook_url"]
        try:
            task = self._store.start_video(api_id, task_id, self._config.cost_gen_video, changes)
        except WrongStatus as error:
            return detail(
                400, f"Video can only be generated from a task in status image_generated (current: {error})."
            )
        self._lifecycle.start_video_stage(task)
        return json_response(200, task.to_api())

    def regen_image(self, request: ApiRequest, api_id: str, params: dict[str, str]) -> ApiResponse:
        source_id = _task_id(params)
        self._store.get(api_id, source_id)
        fields = validation.validate_regen_image(_body(request))

        def build(source: Task) -> Task:
            created = now()
            return Task(
                id=self._new_id(),
                account=api_id,
                product_url=source.product_url,
                type=source.type,
                aspect_ratio=source.aspect_ratio,
                created_at=created,
                updated_at=created,
                override_avatar=source.override_avatar,
                product_showcase_url=source.product_showcase_url,
                image_prompt=fields.get("image_prompt", source.image_prompt),
                # Documented as "Default is null" on every POST: not inherited from the source.
                webhook_url=fields.get("webhook_url"),
                regen_type="regen_image",
                regen_source_id=source.id,
                avatar_name=source.avatar_name,
            )

        task = self._store.create_from(api_id, source_id, self._config.cost_regen_image, build)
        self._lifecycle.start_image_stage(task)
        return json_response(200, task.to_api())

    def regen_video(self, request: ApiRequest, api_id: str, params: dict[str, str]) -> ApiResponse:
        source_id = _task_id(params)
        self._store.get(api_id, source_id)
        fields = validation.validate_gen_video(_body(request))
        new_id = self._new_id()

        def build(source: Task) -> Task:
            created = now()
            return Task(
                id=new_id,
                account=api_id,
                product_url=source.product_url,
                type=source.type,
                aspect_ratio=source.aspect_ratio,
                created_at=created,
                updated_at=created,
                override_avatar=source.override_avatar,
                product_showcase_url=source.product_showcase_url,
                image_prompt=source.image_prompt,
                video_prompt=fields.get("video_prompt", source.video_prompt),
                motion_style=fields.get("motion_style", source.motion_style),
                webhook_url=fields.get("webhook_url"),
                status="video_generating",
                generated_photo_url=self._lifecycle.media_url(new_id, "jpg"),
                regen_type="regen_video",
                regen_source_id=source.id,
                avatar_name=source.avatar_name,
            )

        try:
            task = self._store.create_from(
                api_id, source_id, self._config.cost_regen_video, build, require=_has_image
            )
        except WrongStatus as error:
            return detail(
                400,
                f"Video can only be regenerated from a task that has a generated image (current: {error}).",
            )
        self._lifecycle.copy_preview(source_id, task.id)
        self._lifecycle.start_video_stage(task)
        return json_response(200, task.to_api())

    def get_task(self, request: ApiRequest, api_id: str, params: dict[str, str]) -> ApiResponse:
        return json_response(200, self._store.get(api_id, _task_id(params)).to_api())

    def list_tasks(self, request: ApiRequest, api_id: str, _: dict[str, str]) -> ApiResponse:
        ids = validation.parse_ids(request.query.get("ids"))
        return json_response(200, [task.to_api() for task in self._store.list(api_id, ids)])

    # ---- personas

    def list_personas(self, request: ApiRequest, api_id: str, _: dict[str, str]) -> ApiResponse:
        ages = validation.parse_choices("age_range", request.query.get("age_range"), personas.AGE_RANGES)
        genders = validation.parse_choices("gender", request.query.get("gender"), personas.GENDERS)
        base = self._base_url()
        return json_response(
            200, [personas.persona_json(p, base) for p in personas.filter_personas(ages, genders)]
        )

    def paginated_personas(self, request: ApiRequest, api_id: str, _: dict[str, str]) -> ApiResponse:
        page = validation.parse_positive_int("page", request.query.get("page"), 1)
        size = validation.parse_positive_int("page_size", request.query.get("page_size"), 10)
        everyone = personas.PERSONAS
        pages = max(1, math.ceil(len(everyone) / size))
        if page > pages:
            return detail(404, "Invalid page.")
        base = self._base_url()
        results = [personas.persona_json(p, base) for p in everyone[(page - 1) * size : page * size]]
        return json_response(
            200,
            {
                "count": len(everyone),
                "next": _page_link(request, page + 1) if page < pages else None,
                "previous": _page_link(request, page - 1) if page > 1 else None,
                "results": results,
            },
        )

    def get_persona(self, request: ApiRequest, api_id: str, params: dict[str, str]) -> ApiResponse:
        persona = personas.get_persona(_task_id(params))
        if persona is None:
            raise TaskNotFound(params["id"])
        return json_response(200, personas.persona_json(persona, self._base_url()))

    # ---- workspace

    def remaining_credits(self, request: ApiRequest, api_id: str, _: dict[str, str]) -> ApiResponse:
        return json_response(200, {"remaining_credits": float(self._store.credits(api_id))})

    def _new_id(self) -> str:
        if self._config.seed is None:
            return str(uuid.uuid4())
        with self._ids_lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))


def _body(request: ApiRequest) -> dict[str, Any]:
    return validation.parse_json_object(request.body, request.header("Content-Type"))


def _task_id(params: dict[str, str]) -> str:
    """The canonical form of a path id; a malformed one is just an unknown object (404), as in DRF."""
    try:
        return str(uuid.UUID(params["id"]))
    except ValueError as error:
        raise TaskNotFound(params["id"]) from error


def _has_image(task: Task) -> bool:
    # A task that failed during its video stage still has the preview image to animate again.
    return task.status in HAS_IMAGE or (task.status == "failed" and task.generated_photo_url is not None)


def _page_link(request: ApiRequest, page: int) -> str:
    """DRF's next/previous links: same URL with `page` replaced, and dropped for the first page."""
    pairs = [(name, value) for name, value in request.query_pairs if name != "page"]
    if page > 1:
        pairs.append(("page", str(page)))
    query = urlencode(pairs)
    return f"{request.origin}{request.path}" + (f"?{query}" if query else "")
