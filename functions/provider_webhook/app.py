"""Creatify's callbacks: a signed nudge, answered fast; the truth is read from Creatify.

One route, read from the event as API Gateway sends it (`reelay.http.proxy_events`): Powertools'
resolver and its OpenAPI validation were most of this function's cold start.
"""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.clients.aws import is_aws_outage
from reelay.deps import runtime
from reelay.http.json_bodies import strict_json_loads
from reelay.http.proxy_events import (
    BadParameter,
    Param,
    error_answer,
    json_answer,
    outage_answer,
    raw_body,
    sent_as_non_json,
    unsupported_media_type_answer,
)
from reelay.logic.apply_update import CallbackOutcome, apply_provider_callback
from reelay.stage_metrics import count

logger = Logger()
TASK_ID = Param("task_id", "path", max_length=64)
SIG = Param("sig", "query", max_length=64)


def _hinted_provider_id(event: dict[str, Any]) -> str | None:
    # Only a hint for recognising our own task at Creatify; never trusted as data.
    try:
        body = strict_json_loads(raw_body(event).decode())
    except ValueError:
        return None
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else None


def creatify_callback(event: dict[str, Any]) -> dict[str, Any]:
    if sent_as_non_json(event):
        return unsupported_media_type_answer()
    try:
        task_id = TASK_ID.read_from(event)
        sig = SIG.read_from(event)
    except BadParameter as bad:
        answer = error_answer(400, "validation_error", str(bad), bad.name)
        logger.warning("request refused", extra={"path": event.get("path"), "answer": answer["body"]})
        return answer
    if event.get("httpMethod") != "POST" or not task_id:
        return error_answer(404, "not_found", "no such route")
    outcome = apply_provider_callback(task_id, sig, _hinted_provider_id(event), deps=runtime())
    count("Callbacks", outcome=outcome.value)
    if outcome is CallbackOutcome.FORBIDDEN:
        return error_answer(401, "bad_signature", "callback signature does not match")
    if outcome is CallbackOutcome.UNKNOWN_TASK:
        return error_answer(404, "not_found", "no such task", "task_id")
    # Duplicates and stale news are answered 200 too, so Creatify never retries them.
    return json_answer(200, {"result": outcome.value})


@resumes_collector
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return creatify_callback(event)
    except Exception as exc:
        # AWS still busy or failing after the clients' retries: a 503 Creatify retries, not a 502.
        if not is_aws_outage(exc):
            raise
        logger.exception("AWS unavailable after retries", extra={"path": event.get("path")})
        return outage_answer()
