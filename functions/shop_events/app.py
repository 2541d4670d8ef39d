"""Shopify's product webhooks through an EventBridge partner event source: the same intake, no HMAC."""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.shop_intake import receive_partner_event

logger = Logger()
metrics = Metrics()


@resumes_collector
@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    # Never raised for bad input: EventBridge would retry it to no end. The event is read as a
    # dict: Powertools' EventBridgeEvent would import all its event classes for one key.
    outcome = receive_partner_event(event.get("detail") or {}, runtime())
    metrics.add_metric(name=f"ShopEvent_{outcome.value}", unit=MetricUnit.Count, value=1)
    return {"result": outcome.value}
