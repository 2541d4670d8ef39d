"""Public REST API: submit, read and list product videos; approve a video; avatars; credits."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.http.errors import error_response, use_error_shape
from reelay.http.request_context import callback_base_url, tenant_id
from reelay.logic.catalog import CatalogUnavailable, list_avatars, remaining_credits
from reelay.logic.request_video import WrongStatus, request_video
from reelay.logic.submit import IdempotencyConflict, submit_product_video
from reelay.logic.task_views import BadCursor, TaskNotFound, get_tenant_task, list_tenant_tasks
from reelay.models.api import ProductVideo, ProductVideoPage, ProductVideoRequest, VideoRequest
from reelay.models.status import TaskStatus

GENDERS = r"^(m|f|nb)(,(m|f|nb))*$"
AGE_RANGES = r"^(child|teen|adult|senior)(,(child|teen|adult|senior))*$"

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
use_error_shape(app)
app.enable_swagger(
    path="/swagger",
    title="Reelay",
    version="1.0.0",
    description=__doc__,
    # So "Try it out" in Swagger UI can send the tenant's key as `Authorization: Bearer ...`.
    security_schemes={"tenantKey": HTTPBearer(description="The tenant's API key (rly_...)")},
    security=[{"tenantKey": []}],
)


def _json(status: int, model: ProductVideo | ProductVideoPage | dict) -> Response[dict]:
    body = model if isinstance(model, dict) else model.model_dump(mode="json")
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.post("/v1/product-videos", summary="Submit a product for a video")
def submit(
    request: Annotated[ProductVideoRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=255)] = None,
) -> Response[dict]:
    try:
        outcome = submit_product_video(
            tenant_id(app),
            request,
            runtime(),
            idempotency_key=idempotency_key,
            callback_base_url=callback_base_url(app),
        )
    except IdempotencyConflict as exc:
        return error_response(409, "idempotency_conflict", str(exc), "Idempotency-Key")
    if outcome.created:
        metrics.add_metric(name="TasksSubmitted", unit=MetricUnit.Count, value=1)
    return _json(201 if outcome.created else 200, ProductVideo.from_task(outcome.task))


@app.get("/v1/product-videos/<id>", summary="Read one product video task")
def get_one(id: Annotated[str, Path(max_length=64)]) -> Response[dict]:
    try:
        task = get_tenant_task(tenant_id(app), id, runtime())
    except TaskNotFound:
        return error_response(404, "not_found", "no such product video", "id")
    return _json(200, ProductVideo.from_task(task))


@app.get("/v1/product-videos", summary="List product video tasks, newest first")
def list_tasks(
    status: Annotated[TaskStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[dict]:
    try:
        page = list_tenant_tasks(tenant_id(app), runtime(), status=status, limit=limit, cursor=cursor)
    except BadCursor:
        return error_response(400, "validation_error", "cursor: not a cursor from this listing", "cursor")
    return _json(200, page)


@app.post("/v1/product-videos/<id>/video", summary="Generate the video from an approved preview image")
def generate_video(
    id: Annotated[str, Path(max_length=64)],
    request: Annotated[VideoRequest | None, Body()] = None,
) -> Response[dict]:
    try:
        outcome = request_video(tenant_id(app), id, request or VideoRequest(), runtime())
    except TaskNotFound:
        return error_response(404, "not_found", "no such product video", "id")
    except WrongStatus as exc:
        return error_response(409, "wrong_status", str(exc), "status")
    return _json(202, ProductVideo.from_task(outcome.task))


@app.get("/v1/avatars", summary="Creatify avatars usable as override_avatar")
def avatars(
    gender: Annotated[str | None, Query(pattern=GENDERS)] = None,
    age_range: Annotated[str | None, Query(pattern=AGE_RANGES)] = None,
) -> Response[dict]:
    try:
        items = list_avatars(runtime(), gender=gender, age_range=age_range)
    except CatalogUnavailable as exc:
        return error_response(503, "provider_unavailable", str(exc))
    return _json(200, {"items": items})


@app.get("/v1/credits", summary="Creatify credits left on the account")
def credits() -> Response[dict]:
    try:
        return _json(200, {"remaining_credits": remaining_credits(runtime())})
    except CatalogUnavailable as exc:
        return error_response(503, "provider_unavailable", str(exc))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
