"""Shop webhooks over HTTPS: Shopify's and WooCommerce's product hooks, answered within seconds."""

from __future__ import annotations

import base64
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.http.errors import error_response, use_error_shape
from reelay.http.json_bodies import strict_json_loads
from reelay.http.request_context import callback_base_url
from reelay.logic.shop_intake import HookOutcome, receive_shop_hook
from reelay.models.connection import Platform

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=strict_json_loads)
use_error_shape(app, json_bodies_only=False)

# Refusals a shop should see as such; every other outcome is a 200, so the shop never retries
# what was taken, ignored on purpose, or could never be taken.
_REFUSALS = {
    HookOutcome.UNKNOWN_CONNECTION: (404, "not_found", "no such shop connection", "connection_id"),
    HookOutcome.BAD_SIGNATURE: (401, "bad_signature", "the webhook signature does not match", None),
    HookOutcome.WRONG_SHOP: (
        401,
        "wrong_shop",
        "the webhook comes from another shop than the connection's",
        None,
    ),
    HookOutcome.NOT_A_PRODUCT: (400, "not_a_product", "the body is not a product", None),
}


def _raw_body() -> bytes:
    # The signature covers the bytes the shop sent: take them as they came, never re-encoded JSON.
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()


def _receive(platform: Platform, connection_id: str) -> Response[dict]:
    outcome = receive_shop_hook(
        platform,
        connection_id,
        dict(app.current_event.headers or {}),
        _raw_body(),
        runtime(),
        callback_base_url=callback_base_url(app),
    )
    metrics.add_metric(name=f"ShopHook_{outcome.value}", unit=MetricUnit.Count, value=1)
    refusal = _REFUSALS.get(outcome)
    if refusal is not None:
        return error_response(*refusal)
    return Response(status_code=200, content_type="application/json", body={"result": outcome.value})


@app.post("/hooks/shopify/<connection_id>")
def shopify_hook(connection_id: Annotated[str, Path(max_length=64)]) -> Response[dict]:
    return _receive(Platform.SHOPIFY, connection_id)


@app.post("/hooks/woocommerce/<connection_id>")
def woocommerce_hook(connection_id: Annotated[str, Path(max_length=64)]) -> Response[dict]:
    return _receive(Platform.WOOCOMMERCE, connection_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
