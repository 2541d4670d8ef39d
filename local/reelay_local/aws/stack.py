"""The Reelay stack in one process: the real handlers, wired to moto as the template wires them.

`LocalStack` is used two ways: by integration tests (moto in-process, pumped step by step)
and by the embedded stack behind `reelay up` (moto server, pumped by background threads).
Every function gets the same environment, which the template's Globals make natural.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelay_local.aws.api_events import authorizer_request_event, rest_proxy_event
from reelay_local.aws.deploy import DeployedStack
from reelay_local.aws.event_sources import SqsSource, StreamSource, stream_failure_message
from reelay_local.aws.lambda_runtime import FunctionInstances, LocalFunction


@dataclass
class Route:
    method: str
    resource: str
    pattern: re.Pattern[str]
    function: str
    authorized: bool


@dataclass
class ApiAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


# What API Gateway answers (a 403) for a method or resource the API does not declare.
NO_SUCH_ROUTE_MESSAGE = "Missing Authentication Token"


def _route_pattern(resource: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
    return re.compile(f"^{regex}$")


def reset_runtime_caches() -> None:
    """Forget settings, clients and cached secrets, as a fresh Lambda cold start would."""
    from reelay.clients.aws import aws_client, aws_session
    from reelay.clients.secrets import clear_secret_cache
    from reelay.config import settings
    from reelay.deps import runtime

    settings.cache_clear()
    runtime.cache_clear()
    aws_client.cache_clear()
    aws_session.cache_clear()
    clear_secret_cache()


class LocalStack:
    def __init__(
        self,
        deployed: DeployedStack,
        clients: Callable[[str], Any],
        env_overrides: dict[str, str] | None = None,
        domain_name: str = "127.0.0.1",
    ) -> None:
        self.deployed = deployed
        self.clients = clients
        self.domain_name = domain_name
        environment: dict[str, str] = {}
        for spec in deployed.functions.values():
            environment.update(spec.environment)
        environment.update(env_overrides or {})
        os.environ.update(environment)
        reset_runtime_caches()
        # The functions behind API routes log through Powertools Loggers of one service name,
        # which share one formatter and the invocation's keys in a process (in Lambda, a process
        # is one instance): they take turns as one, or one request's lines would carry another's.
        routed_lock = threading.Lock()
        self.functions = {
            logical_id: LocalFunction.from_code(
                spec.name,
                spec.code_uri,
                spec.handler,
                spec.timeout,
                lock=routed_lock if spec.routes else None,
            )
            for logical_id, spec in deployed.functions.items()
        }
        self.routes = [
            Route(method, resource, _route_pattern(resource), logical_id, authorized)
            for logical_id, spec in deployed.functions.items()
            for method, resource, authorized in spec.routes
        ]
        self.sqs_sources: dict[str, SqsSource] = {}
        self.stream_sources: dict[str, StreamSource] = {}
        self._wire_event_sources()

    # ------------------------------------------------------------------ event sources

    def _queue_url_for_arn(self, arn: str) -> str:
        name = arn.rsplit(":", 1)[-1]
        return self.clients("sqs").get_queue_url(QueueName=name)["QueueUrl"]

    def _instances(self, logical_id: str, limit: int) -> FunctionInstances:
        """The function scaled out to `limit` instances; the first is the one `functions` holds."""
        spec = self.deployed.functions[logical_id]

        def load(number: int) -> LocalFunction:
            return LocalFunction.from_code(
                spec.name, spec.code_uri, spec.handler, spec.timeout, instance=number
            )

        return FunctionInstances(self.functions[logical_id], load, limit)

    def _wire_event_sources(self) -> None:
        for source in self.deployed.event_sources:
            function = self.functions[source.function_logical_id]
            if source.source_arn.startswith("arn:aws:sqs:"):
                instances = None
                if source.maximum_concurrency:
                    instances = self._instances(source.function_logical_id, source.maximum_concurrency)
                self.sqs_sources[source.function_logical_id] = SqsSource(
                    sqs=self.clients("sqs"),
                    queue_url=self._queue_url_for_arn(source.source_arn),
                    queue_arn=source.source_arn,
                    invoke=function.invoke,
                    batch_size=source.batch_size,
                    region=self.deployed.region,
                    report_batch_item_failures=source.report_batch_item_failures,
                    instances=instances,
                )
            elif ":dynamodb:" in source.source_arn:
                on_failure = None
                if source.on_failure_arn:
                    on_failure = self._stream_failure_sender(source.on_failure_arn, source.source_arn)
                self.stream_sources[source.function_logical_id] = StreamSource(
                    streams=self.clients("dynamodbstreams"),
                    stream_arn=source.source_arn,
                    invoke=function.invoke,
                    batch_size=source.batch_size,
                    maximum_retry_attempts=source.maximum_retry_attempts or 0,
                    on_failure=on_failure,
                    region=self.deployed.region,
                    report_batch_item_failures=source.report_batch_item_failures,
                    filter_patterns=source.filter_patterns,
                )

    def _stream_failure_sender(
        self, queue_arn: str, stream_arn: str
    ) -> Callable[[list[dict[str, Any]]], None]:
        url = self._queue_url_for_arn(queue_arn)

        def send(records: list[dict[str, Any]]) -> None:
            self.clients("sqs").send_message(
                QueueUrl=url, MessageBody=stream_failure_message(records, stream_arn)
            )

        return send

    def pump_once(self) -> int:
        """One poll of every event source without a poller of its own; how many records were handled."""
        handled = 0
        for stream in self.stream_sources.values():
            handled += stream.poll_once()
        for queue in self.sqs_sources.values():
            if not queue.serving:
                handled += queue.poll_once()
        return handled

    def pump(
        self, until: Callable[[], bool] | None = None, timeout: float = 30.0, idle_rounds: int = 3
    ) -> None:
        """Poll until `until()` holds (or, without it, until several rounds in a row find nothing)."""
        deadline = time.monotonic() + timeout
        idle = 0
        while time.monotonic() < deadline:
            if until is not None and until():
                return
            if self.pump_once() == 0:
                idle += 1
                if until is None and idle >= idle_rounds:
                    return
                time.sleep(0.05)
            else:
                idle = 0
        if until is not None and not until():
            raise TimeoutError("the stack did not reach the expected state in time")

    def run_schedule(self, logical_id: str) -> Any:
        event = {
            "version": "0",
            "id": "local-schedule",
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": "123456789012",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": self.deployed.region,
            "resources": [
                f"arn:aws:scheduler:{self.deployed.region}:123456789012:schedule/default/{logical_id}"
            ],
            "detail": {},
        }
        return self.functions[logical_id].invoke(event)

    # ------------------------------------------------------------------ API gateway

    def api_request(
        self,
        method: str,
        path: str,
        *,
        query_string: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> ApiAnswer:
        method = method.upper()
        matches = [(r, m) for r in self.routes if (m := r.pattern.match(path))]
        chosen = next(((r, m) for r, m in matches if r.method == method), None)
        if chosen is None:
            # API Gateway's answer for a resource or method the API does not have (TRACE, CONNECT,
            # PROPFIND, a typo), in the template's DEFAULT_4XX shape.
            return _gateway_error(403, "rejected_by_gateway", NO_SUCH_ROUTE_MESSAGE)
        route, match = chosen
        event = rest_proxy_event(
            method=method,
            path=path,
            resource=route.resource,
            path_parameters=match.groupdict(),
            query_string=query_string,
            headers=headers,
            body=body,
            stage=self.deployed.api_stage,
            domain_name=self.domain_name,
        )
        if route.authorized and self.deployed.authorizer_function:
            context = self._authorize(event)
            if context is None:
                return _gateway_error(401, "unauthorized", "missing or invalid API key")
            event["requestContext"]["authorizer"] = context
        result = self.functions[route.function].invoke(event)
        return _proxy_answer(result)

    def _authorize(self, event: dict[str, Any]) -> dict[str, Any] | None:
        assert self.deployed.authorizer_function
        try:
            policy = self.functions[self.deployed.authorizer_function].invoke(
                authorizer_request_event(event, region=self.deployed.region)
            )
        except Exception:  # API Gateway turns any authorizer failure into 401 Unauthorized
            return None
        statements = policy.get("policyDocument", {}).get("Statement", [])
        if not any(s.get("Effect") == "Allow" for s in statements):
            return None
        return {**policy.get("context", {}), "principalId": policy.get("principalId")}


def _gateway_error(status: int, code: str, message: str) -> ApiAnswer:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return ApiAnswer(status, {"Content-Type": "application/json"}, body)


def _proxy_answer(result: dict[str, Any]) -> ApiAnswer:
    import base64

    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return ApiAnswer(int(result.get("statusCode", 502)), headers, body)
