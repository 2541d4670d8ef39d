"""Lambda authorizer: the caller's API key names its tenant, or the request is refused."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.tenants import tenant_id_for_api_key

logger = Logger()


def _presented_key(event: APIGatewayAuthorizerRequestEvent) -> str:
    value = event.headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict:
    tenant_id = tenant_id_for_api_key(_presented_key(event), runtime())
    if tenant_id is None:
        # API Gateway answers 401 (with the template's gateway response) for this exact message.
        raise PermissionError("Unauthorized")
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=tenant_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context={"tenant_id": tenant_id},
    )
    # The answer is cached per key for every route, so it must allow them all.
    policy.allow_all_routes()
    return policy.asdict()
