"""API Gateway REST (v1) proxy events, complete enough for Powertools and our handlers."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs


def rest_proxy_event(
    *,
    method: str,
    path: str,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    query_string: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    stage: str = "dev",
    api_id: str = "local",
    domain_name: str = "127.0.0.1",
    authorizer: dict[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
    account_id: str = "123456789012",
) -> dict[str, Any]:
    """Build the event API Gateway sends a Lambda proxy integration for one request."""
    headers = dict(headers or {})
    multi_headers = {k: [v] for k, v in headers.items()}
    parsed = parse_qs(query_string, keep_blank_values=True)
    query = {k: v[-1] for k, v in parsed.items()} or None
    multi_query = parsed or None
    is_binary = False
    text: str | None = None
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, is_binary = base64.b64encode(body).decode(), True
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": is_binary,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{path}",
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": domain_name.split(".")[0],
            "requestTimeEpoch": int(time.time() * 1000),
            "requestId": request_id,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": headers.get("User-Agent") or headers.get("user-agent"),
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
            },
            "domainName": domain_name,
            "apiId": api_id,
            "authorizer": authorizer,
        },
    }


def authorizer_request_event(
    proxy_event: dict[str, Any], *, region: str = "us-east-1", account_id: str = "123456789012"
) -> dict[str, Any]:
    """The REQUEST-type authorizer event API Gateway builds from a proxy request."""
    ctx = proxy_event["requestContext"]
    method_arn = (
        f"arn:aws:execute-api:{region}:{account_id}:{ctx['apiId']}/{ctx['stage']}/"
        f"{proxy_event['httpMethod']}{proxy_event['path']}"
    )
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "resource": proxy_event["resource"],
        "path": proxy_event["path"],
        "httpMethod": proxy_event["httpMethod"],
        "headers": proxy_event["headers"] or {},
        "multiValueHeaders": proxy_event["multiValueHeaders"] or {},
        "queryStringParameters": proxy_event["queryStringParameters"] or {},
        "multiValueQueryStringParameters": proxy_event["multiValueQueryStringParameters"] or {},
        "pathParameters": proxy_event["pathParameters"] or {},
        "stageVariables": {},
        "requestContext": {k: v for k, v in ctx.items() if k != "authorizer"},
    }
