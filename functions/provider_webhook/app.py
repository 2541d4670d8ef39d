"""Creatify's callbacks: a signed nudge, answered fast; the truth is read from Creatify."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.http.errors import error_response, use_error_shape
from reelay.http.json_bodies import strict_json_loads
from reelay.logic.apply_update import CallbackOutcome, apply_provider_callback
from reelay.stage_metrics import count

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=strict_json_loads)
use_error_shape(app)


def _hinted_provider_id() -> str | None:
    # Only a hint for recognising our own task at Creatify; never trusted as data.
    try:
        body = app.current_event.json_body
    except ValueError:
        return None
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else None


@app.post("/webhooks/creatify/<task_id>")
def creatify_callback(
    task_id: Annotated[str, Path(max_length=64)],
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> Response[dict]:
    outcome = apply_provider_callback(task_id, sig, _hinted_provider_id(), deps=runtime())
    count("Callbacks", outcome=outcome.value)
    if outcome is CallbackOutcome.FORBIDDEN:
        return error_response(401, "bad_signature", "callback signature does not match")
    if outcome is CallbackOutcome.UNKNOWN_TASK:
        return error_response(404, "not_found", "no such task", "task_id")
    # Duplicates and stale news are answered 200 too, so Creatify never retries them.
    return Response(status_code=200, content_type="application/json", body={"result": outcome.value})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
