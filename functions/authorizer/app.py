"""Lambda authorizer: the caller's API key names its tenant, or the request is refused.

The event and the policy are read and written as the dicts API Gateway sends and expects:
Powertools' authorizer data classes would import every Powertools event class (about 15 ms of
the cold start a waiting API caller pays) for one header and one ARN.
"""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.tenants import tenant_id_for_api_key

logger = Logger()


def _presented_key(event: dict[str, Any]) -> str:
    # Header names are case-insensitive; API Gateway passes them as the client spelled them.
    headers = event.get("headers") or {}
    value = next((v for k, v in headers.items() if k.lower() == "authorization" and v), "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


def _all_routes(method_arn: str) -> str:
    """The ARN of every method and resource of the stage the request came to."""
    # arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method}/{resource...}
    prefix, _, path = method_arn.rpartition(":")
    api_id, stage = path.split("/")[:2]
    return f"{prefix}:{api_id}/{stage}/*/*"


@resumes_collector
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict:
    tenant_id = tenant_id_for_api_key(_presented_key(event), runtime())
    if tenant_id is None:
        # API Gateway answers 401 (with the template's gateway response) for this exact message.
        raise PermissionError("Unauthorized")
    # The answer is cached per key for every route, so it must allow them all.
    return {
        "principalId": tenant_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": [_all_routes(event["methodArn"])],
                }
            ],
        },
        "context": {"tenant_id": tenant_id},
    }
