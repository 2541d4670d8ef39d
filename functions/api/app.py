"""Public REST API: product videos (submit, read, list, approve, replay a delivery, find the stuck),
shop connections, avatars, credits, media links."""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
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
from reelay.http.request_context import hook_base_url, invoke_url
from reelay.http.rest import Answer, Call, Param, Refusal, RestApi
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
ID = Param("id", "path", max_length=64)
STUCK_FOR_MINUTES = (
    "Only tasks waiting on Creatify whose status has not changed for this many minutes, the "
    "longest-waiting first, at most `limit` (no cursor)."
)

logger = Logger()
metrics = Metrics()
api = RestApi(logger=logger)
register_console(api)
register_media(api)


@api.get("/swagger", documented=False, public=True)
def swagger(call: Call) -> Answer:
    """The OpenAPI document (`?format=json`) or Swagger UI showing it, built on first request."""
    from reelay.http.openapi import embedded_json, openapi_document, swagger_page

    stage = (call.event.get("requestContext") or {}).get("stage")
    document = openapi_document(
        api,
        title="Reelay",
        version="1.0.0",
        description=__doc__,
        servers=[{"url": f"/{stage}" if stage else "/"}],
        # So "Try it out" in Swagger UI can send the tenant's key as `Authorization: Bearer ...`.
        security_schemes={
            "tenantKey": {"type": "http", "scheme": "bearer", "description": "The tenant's API key (rly_...)"}
        },
        security=[{"tenantKey": []}],
    )
    if call.query.get("format") == "json":
        return Answer(200, text=embedded_json(document), content_type="application/json")
    return Answer(200, text=swagger_page(document), content_type="text/html")


@api.post(
    "/v1/product-videos",
    summary="Submit a product for a video",
    status=201,
    returns=ProductVideo,
    answers={
        201: "The new task.",
        200: "The task an identical earlier request with this Idempotency-Key made.",
    },
    body=ProductVideoRequest,
    params=(Param("idempotency-key", "header", max_length=255),),
    errors=(UnsafeRequestUrl, IdempotencyConflict),
)
def submit(call: Call) -> Answer:
    outcome = submit_product_video(
        call.tenant_id,
        call.body,
        runtime(),
        idempotency_key=call.params["idempotency_key"],
        callback_base_url=invoke_url(call.event),
    )
    # 201 for a new task; 200 when the Idempotency-Key names one an identical request made.
    return Answer(201 if outcome.created else 200, ProductVideo.from_task(outcome.task))


@api.get(
    "/v1/product-videos/{id}",
    summary="Read one product video task",
    returns=ProductVideo,
    params=(ID,),
    errors=(TaskNotFound,),
)
def get_one(call: Call) -> ProductVideo:
    deps = runtime()
    task = get_tenant_task(call.tenant_id, call.params["id"], deps)
    return ProductVideo.from_task(task, media_object(task, deps))


@api.get(
    "/v1/product-videos/{id}/history",
    summary="What happened to a task: provider calls, status changes, deliveries, refusals",
    returns=TaskHistory,
    params=(ID,),
    errors=(TaskNotFound,),
)
def get_history(call: Call) -> TaskHistory:
    return task_history(call.tenant_id, call.params["id"], runtime())


@api.get(
    "/v1/product-videos",
    summary="List product video tasks, newest first (or those stuck, longest first)",
    returns=ProductVideoPage,
    answers={200: "A page of tasks; with stuck_for_minutes, every stuck task at once."},
    params=(
        Param("status", "query", kind=TaskStatus),
        Param("limit", "query", kind=int, ge=1, le=100, default=20),
        Param("cursor", "query", max_length=2048),
        Param("source", "query", max_length=32, description="external_ref.source, e.g. shopify"),
        Param("shop", "query", max_length=255, description="external_ref.shop"),
        Param("product_id", "query", max_length=255, description="external_ref.product_id"),
        Param("stuck_for_minutes", "query", kind=int, ge=1, le=10080, description=STUCK_FOR_MINUTES),
    ),
    errors=(InvalidCursor,),
)
def list_tasks(call: Call) -> ProductVideoPage:
    asked: dict[str, Any] = call.params
    external = {"source": asked["source"], "shop": asked["shop"], "product_id": asked["product_id"]}
    if asked["stuck_for_minutes"] is not None:
        if asked["cursor"]:
            raise Refusal(400, "validation_error", "cursor: not used with stuck_for_minutes", "cursor")
        found = stuck_tasks(
            call.tenant_id,
            runtime(),
            timedelta(minutes=asked["stuck_for_minutes"]),
            limit=asked["limit"],
            status=asked["status"],
            external=external,
        )
        return ProductVideoPage(items=[ProductVideo.from_task(task) for task in found])
    return list_tenant_tasks(
        call.tenant_id,
        runtime(),
        status=asked["status"],
        limit=asked["limit"],
        cursor=asked["cursor"],
        external=external,
    )


@api.post(
    "/v1/product-videos/{id}/deliveries",
    summary="Deliver a finished task's webhook again (same event id, signed, recorded)",
    status=202,
    returns=DeliveryReplay,
    answers={202: "The replay is queued for the delivery worker."},
    params=(ID,),
    errors=(TaskNotFound, NothingToDeliver),
)
def replay(call: Call) -> DeliveryReplay:
    queued = replay_delivery(call.tenant_id, call.params["id"], runtime())
    metrics.add_metric(name="DeliveriesReplayed", unit=MetricUnit.Count, value=1)
    return DeliveryReplay(task_id=queued.task_id, event_id=queued.event_id, replay=queued.replay)


@api.post(
    "/v1/product-videos/{id}/video",
    summary="Generate the video from an approved preview image",
    status=202,
    returns=ProductVideo,
    body=VideoRequest,
    body_required=False,
    params=(ID,),
    errors=(TaskNotFound, WrongStatus),
)
def generate_video(call: Call) -> ProductVideo:
    outcome = request_video(call.tenant_id, call.params["id"], call.body or VideoRequest(), runtime())
    return ProductVideo.from_task(outcome.task)


@api.post(
    "/v1/product-videos/{id}/regenerate",
    summary="Regenerate the preview image as a new, linked task",
    status=201,
    returns=ProductVideo,
    answers={201: "The new task.", 200: "The task an earlier request made (a double click)."},
    body=RegenerateRequest,
    body_required=False,
    params=(ID,),
    errors=(TaskNotFound, WrongStatus),
)
def regenerate(call: Call) -> Answer:
    outcome = regenerate_preview(
        call.tenant_id,
        call.params["id"],
        call.body or RegenerateRequest(),
        runtime(),
        callback_base_url=invoke_url(call.event),
    )
    # 201 for the new task; 200 when an earlier request made it (a double click).
    return Answer(201 if outcome.created else 200, ProductVideo.from_task(outcome.task))


@api.post(
    "/v1/product-videos/{id}/reject",
    summary="Reject the preview image, ending the task",
    returns=ProductVideo,
    body=RejectRequest,
    body_required=False,
    params=(ID,),
    errors=(TaskNotFound, WrongStatus),
)
def reject(call: Call) -> ProductVideo:
    rejected = reject_preview(call.tenant_id, call.params["id"], call.body or RejectRequest(), runtime())
    return ProductVideo.from_task(rejected)


def _hook_base(call: Call) -> str | None:
    return hook_base_url(call.event, runtime().settings.public_base_url)


@api.post(
    "/v1/shop-connections",
    summary="Connect a Shopify or WooCommerce shop",
    status=201,
    returns=ShopConnectionView,
    body=ShopConnectionRequest,
    errors=(ShopAlreadyConnected,),
)
def create_connection(call: Call) -> ShopConnectionView:
    return connect_shop(call.tenant_id, call.body, runtime(), api_base_url=_hook_base(call))


@api.get(
    "/v1/shop-connections",
    summary="List the tenant's shop connections, newest first",
    returns=ShopConnectionPage,
)
def list_shop_connections(call: Call) -> ShopConnectionPage:
    return list_connections(call.tenant_id, runtime(), api_base_url=_hook_base(call))


@api.get(
    "/v1/shop-connections/{id}",
    summary="Read one shop connection",
    returns=ShopConnectionView,
    params=(ID,),
    errors=(ConnectionNotFound,),
)
def get_connection(call: Call) -> ShopConnectionView:
    return view(tenant_connection(call.tenant_id, call.params["id"], runtime()), _hook_base(call))


@api.patch(
    "/v1/shop-connections/{id}",
    summary="Change a connection's settings, switch it, rotate its secret or set its admin credentials",
    returns=ShopConnectionView,
    body=ShopConnectionUpdate,
    params=(ID,),
    errors=(ConnectionNotFound, CredentialNotForPlatform),
)
def patch_connection(call: Call) -> ShopConnectionView:
    return update_connection(
        call.tenant_id, call.params["id"], call.body, runtime(), api_base_url=_hook_base(call)
    )


@api.delete(
    "/v1/shop-connections/{id}",
    summary="Disconnect a shop",
    status=204,
    params=(ID,),
    errors=(ConnectionNotFound,),
)
def delete_connection(call: Call) -> Answer:
    disconnect_shop(call.tenant_id, call.params["id"], runtime())
    return Answer(204)


@api.get(
    "/v1/avatars",
    summary="Creatify avatars usable as override_avatar",
    returns=AvatarList,
    params=(
        Param("gender", "query", pattern=GENDERS),
        Param("age_range", "query", pattern=AGE_RANGES),
    ),
    errors=(ProviderUnavailable,),
)
def avatars(call: Call) -> AvatarList:
    found = list_avatars(runtime(), gender=call.params["gender"], age_range=call.params["age_range"])
    return AvatarList(items=found)


@api.get(
    "/v1/credits",
    summary="Creatify credits left on the account, and today's credit budget",
    returns=Credits,
    errors=(ProviderUnavailable,),
)
def credits(call: Call) -> Credits:
    return credit_statement(call.tenant_id, runtime())


@resumes_collector
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return api.answer(event)
