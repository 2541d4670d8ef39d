"""Public REST API: product videos (submit, read, list, approve, replay a delivery, find the stuck),
shop connections, avatars, credits, media links."""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from datetime import timedelta
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from console_routes import register_console
from media_routes import register_media

from reelay.deps import runtime
from reelay.errors import (
    ConnectionNotFound,
    CredentialNotForPlatform,
    IdempotencyConflict,
    InvalidCursor,
    NothingToDeliver,
    ProviderUnavailable,
    ShopAlreadyConnected,
    TaskNotFound,
    UnsafeRequestUrl,
    WrongStatus,
)
from reelay.http.errors import map_logic_errors, use_error_shape
from reelay.http.json_bodies import strict_json_loads
from reelay.http.openapi import DocumentedRestResolver, raises
from reelay.http.request_context import callback_base_url, hook_base_url, tenant_id
from reelay.logic.catalog import credit_statement, list_avatars
from reelay.logic.media_view import media_object
from reelay.logic.operator_views import replay_delivery, stuck_tasks
from reelay.logic.request_video import request_video
from reelay.logic.review import regenerate_preview, reject_preview
from reelay.logic.shop_connections import (
    connect_shop,
    disconnect_shop,
    list_connections,
    tenant_connection,
    update_connection,
    view,
)
from reelay.logic.submit import submit_product_video
from reelay.logic.task_history import task_history
from reelay.logic.task_views import get_tenant_task, list_tenant_tasks
from reelay.models.api import (
    AvatarList,
    Credits,
    DeliveryReplay,
    ProductVideo,
    ProductVideoPage,
    ProductVideoRequest,
    RegenerateRequest,
    RejectRequest,
    VideoRequest,
)
from reelay.models.connection_api import (
    ShopConnectionPage,
    ShopConnectionRequest,
    ShopConnectionUpdate,
    ShopConnectionView,
)
from reelay.models.history_view import TaskHistory
from reelay.models.status import TaskStatus

GENDERS = r"^(m|f|nb)(,(m|f|nb))*$"
AGE_RANGES = r"^(child|teen|adult|senior)(,(child|teen|adult|senior))*$"

logger = Logger()
metrics = Metrics()
# Its OpenAPI document lists every answer a route gives: each route declares the errors of logic's
# it may raise with @raises (see reelay.http.openapi).
app = DocumentedRestResolver(enable_validation=True, json_body_deserializer=strict_json_loads)
use_error_shape(app)
map_logic_errors(app)


def _swagger_options() -> dict:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "title": "Reelay",
        "version": "1.0.0",
        "description": __doc__,
        # So "Try it out" in Swagger UI can send the tenant's key as `Authorization: Bearer ...`.
        "security_schemes": {"tenantKey": HTTPBearer(description="The tenant's API key (rly_...)")},
        "security": [{"tenantKey": []}],
    }


app.enable_swagger_lazily(_swagger_options, path="/swagger")
register_console(app)
register_media(app)


@app.post(
    "/v1/product-videos",
    summary="Submit a product for a video",
    status_code=201,
    responses={
        201: {"description": "The new task."},
        200: {"description": "The task an identical earlier request with this Idempotency-Key made."},
    },
)
@raises(UnsafeRequestUrl, IdempotencyConflict)
def submit(
    request: Annotated[ProductVideoRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=255)] = None,
) -> Response[ProductVideo]:
    outcome = submit_product_video(
        tenant_id(app),
        request,
        runtime(),
        idempotency_key=idempotency_key,
        callback_base_url=callback_base_url(app),
    )
    # 201 for a new task; 200 when the Idempotency-Key names one an identical request made.
    return Response(
        status_code=201 if outcome.created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=ProductVideo.from_task(outcome.task),
    )


@app.get("/v1/product-videos/<id>", summary="Read one product video task")
@raises(TaskNotFound)
def get_one(id: Annotated[str, Path(max_length=64)]) -> ProductVideo:
    deps = runtime()
    task = get_tenant_task(tenant_id(app), id, deps)
    return ProductVideo.from_task(task, media_object(task, deps))


@app.get(
    "/v1/product-videos/<id>/history",
    summary="What happened to a task: provider calls, status changes, deliveries, refusals",
)
@raises(TaskNotFound)
def get_history(id: Annotated[str, Path(max_length=64)]) -> TaskHistory:
    return task_history(tenant_id(app), id, runtime())


@app.get(
    "/v1/product-videos",
    summary="List product video tasks, newest first (or those stuck, longest first)",
    responses={200: {"description": "A page of tasks; with stuck_for_minutes, every stuck task at once."}},
)
@raises(InvalidCursor)
def list_tasks(
    status: Annotated[TaskStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    source: Annotated[
        str | None, Query(max_length=32, description="external_ref.source, e.g. shopify")
    ] = None,
    shop: Annotated[str | None, Query(max_length=255, description="external_ref.shop")] = None,
    product_id: Annotated[str | None, Query(max_length=255, description="external_ref.product_id")] = None,
    stuck_for_minutes: Annotated[
        int | None,
        Query(
            ge=1,
            le=10080,
            description="Only tasks waiting on Creatify whose status has not changed for this many "
            "minutes, the longest-waiting first, at most `limit` (no cursor).",
        ),
    ] = None,
) -> ProductVideoPage:
    if stuck_for_minutes is not None:
        return _stuck(
            stuck_for_minutes, limit, status, {"source": source, "shop": shop, "product_id": product_id}
        )
    return list_tenant_tasks(
        tenant_id(app),
        runtime(),
        status=status,
        limit=limit,
        cursor=cursor,
        external={"source": source, "shop": shop, "product_id": product_id},
    )


def _stuck(
    minutes: int, limit: int, status: TaskStatus | None, external: dict[str, str | None]
) -> ProductVideoPage:
    if app.current_event.get_query_string_value("cursor"):
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": "not used with stuck_for_minutes", "type": "value_error"}]
        )
    found = stuck_tasks(
        tenant_id(app), runtime(), timedelta(minutes=minutes), limit=limit, status=status, external=external
    )
    return ProductVideoPage(items=[ProductVideo.from_task(task) for task in found])


@app.post(
    "/v1/product-videos/<id>/deliveries",
    summary="Deliver a finished task's webhook again (same event id, signed, recorded)",
    status_code=202,
    responses={202: {"description": "The replay is queued for the delivery worker."}},
)
@raises(TaskNotFound, NothingToDeliver)
def replay(id: Annotated[str, Path(max_length=64)]) -> DeliveryReplay:
    queued = replay_delivery(tenant_id(app), id, runtime())
    metrics.add_metric(name="DeliveriesReplayed", unit=MetricUnit.Count, value=1)
    return DeliveryReplay(task_id=queued.task_id, event_id=queued.event_id, replay=queued.replay)


@app.post(
    "/v1/product-videos/<id>/video",
    summary="Generate the video from an approved preview image",
    status_code=202,
)
@raises(TaskNotFound, WrongStatus)
def generate_video(
    id: Annotated[str, Path(max_length=64)],
    request: Annotated[VideoRequest | None, Body()] = None,
) -> ProductVideo:
    outcome = request_video(tenant_id(app), id, request or VideoRequest(), runtime())
    return ProductVideo.from_task(outcome.task)


@app.post(
    "/v1/product-videos/<id>/regenerate",
    summary="Regenerate the preview image as a new, linked task",
    status_code=201,
    responses={
        201: {"description": "The new task."},
        200: {"description": "The task an earlier request made (a double click)."},
    },
)
@raises(TaskNotFound, WrongStatus)
def regenerate(
    id: Annotated[str, Path(max_length=64)],
    request: Annotated[RegenerateRequest | None, Body()] = None,
) -> Response[ProductVideo]:
    outcome = regenerate_preview(
        tenant_id(app),
        id,
        request or RegenerateRequest(),
        runtime(),
        callback_base_url=callback_base_url(app),
    )
    # 201 for the new task; 200 when an earlier request made it (a double click).
    return Response(
        status_code=201 if outcome.created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=ProductVideo.from_task(outcome.task),
    )


@app.post("/v1/product-videos/<id>/reject", summary="Reject the preview image, ending the task")
@raises(TaskNotFound, WrongStatus)
def reject(
    id: Annotated[str, Path(max_length=64)],
    request: Annotated[RejectRequest | None, Body()] = None,
) -> ProductVideo:
    return ProductVideo.from_task(reject_preview(tenant_id(app), id, request or RejectRequest(), runtime()))


def _hook_base() -> str | None:
    return hook_base_url(app, runtime().settings.public_base_url)


@app.post("/v1/shop-connections", summary="Connect a Shopify or WooCommerce shop", status_code=201)
@raises(ShopAlreadyConnected)
def create_connection(request: Annotated[ShopConnectionRequest, Body()]) -> ShopConnectionView:
    return connect_shop(tenant_id(app), request, runtime(), api_base_url=_hook_base())


@app.get("/v1/shop-connections", summary="List the tenant's shop connections, newest first")
def list_shop_connections() -> ShopConnectionPage:
    return list_connections(tenant_id(app), runtime(), api_base_url=_hook_base())


@app.get("/v1/shop-connections/<id>", summary="Read one shop connection")
@raises(ConnectionNotFound)
def get_connection(id: Annotated[str, Path(max_length=64)]) -> ShopConnectionView:
    return view(tenant_connection(tenant_id(app), id, runtime()), _hook_base())


@app.patch(
    "/v1/shop-connections/<id>",
    summary="Change a connection's settings, switch it, rotate its secret or set its admin credentials",
)
@raises(ConnectionNotFound, CredentialNotForPlatform)
def patch_connection(
    id: Annotated[str, Path(max_length=64)], request: Annotated[ShopConnectionUpdate, Body()]
) -> ShopConnectionView:
    return update_connection(tenant_id(app), id, request, runtime(), api_base_url=_hook_base())


@app.delete("/v1/shop-connections/<id>", summary="Disconnect a shop", status_code=204)
@raises(ConnectionNotFound)
def delete_connection(id: Annotated[str, Path(max_length=64)]) -> Response[None]:
    disconnect_shop(tenant_id(app), id, runtime())
    return Response(status_code=204)


@app.get("/v1/avatars", summary="Creatify avatars usable as override_avatar")
@raises(ProviderUnavailable)
def avatars(
    gender: Annotated[str | None, Query(pattern=GENDERS)] = None,
    age_range: Annotated[str | None, Query(pattern=AGE_RANGES)] = None,
) -> AvatarList:
    return AvatarList(items=list_avatars(runtime(), gender=gender, age_range=age_range))


@app.get("/v1/credits", summary="Creatify credits left on the account, and today's credit budget")
@raises(ProviderUnavailable)
def credits() -> Credits:
    return credit_statement(tenant_id(app), runtime())


@resumes_collector
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
