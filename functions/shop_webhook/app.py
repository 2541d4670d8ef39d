"""Shop webhooks over HTTPS: Shopify's and WooCommerce's product hooks, answered within seconds.

Two routes, read from the event as API Gateway sends it (`reelay.http.proxy_events`): Powertools'
resolver and its OpenAPI validation were most of this function's cold start, for one path
parameter.
"""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.clients.aws import is_aws_outage
from reelay.deps import runtime
from reelay.http.proxy_events import (
    BadParameter,
    Param,
    error_answer,
    json_answer,
    outage_answer,
    raw_body,
)
from reelay.http.request_context import invoke_url
from reelay.logic.shop_intake import HookOutcome, receive_shop_hook
from reelay.models.connection import Platform

logger = Logger()
metrics = Metrics()
CONNECTION_ID = Param("connection_id", "path", max_length=64)

ROUTES = {
    "/hooks/shopify/{connection_id}": Platform.SHOPIFY,
    "/hooks/woocommerce/{connection_id}": Platform.WOOCOMMERCE,
}

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


def shop_hook(event: dict[str, Any]) -> dict[str, Any]:
    try:
        connection_id = CONNECTION_ID.read_from(event)
    except BadParameter as bad:
        answer = error_answer(400, "validation_error", str(bad), bad.name)
        logger.warning("request refused", extra={"path": event.get("path"), "answer": answer["body"]})
        return answer
    platform = ROUTES.get(event.get("resource") or "")
    if event.get("httpMethod") != "POST" or platform is None or not connection_id:
        return error_answer(404, "not_found", "no such route")
    outcome = receive_shop_hook(
        platform,
        connection_id,
        dict(event.get("headers") or {}),
        # The signature covers the bytes the shop sent: taken as they came, never re-encoded JSON.
        raw_body(event),
        runtime(),
        callback_base_url=invoke_url(event),
    )
    metrics.add_metric(name=f"ShopHook_{outcome.value}", unit=MetricUnit.Count, value=1)
    refusal = _REFUSALS.get(outcome)
    if refusal is not None:
        return error_answer(*refusal)
    return json_answer(200, {"result": outcome.value})


@resumes_collector
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return shop_hook(event)
    except Exception as exc:
        # AWS still busy or failing after the clients' retries: a 503 the shop retries, not a 502.
        if not is_aws_outage(exc):
            raise
        logger.exception("AWS unavailable after retries", extra={"path": event.get("path")})
        return outage_answer()
