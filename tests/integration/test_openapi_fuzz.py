"""Schemathesis fuzzes the served OpenAPI document against the embedded stack over HTTP.

Requests generated from the document (valid ones and ones that break it) go through the local
API Gateway with a tenant's key, so the authorizer lets them reach the handlers. Every answer
must be no 5xx, a status the document lists for the operation, with the content type and the
body shape the document says. Bounded: a fixed number of cases per operation, derandomized
(the same cases every run, so CI is stable), no shrinking and no deadline.
"""

from __future__ import annotations

import ipaddress
import socket
from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.pipeline import TenantApi

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CASES_PER_OPERATION = 90
MIN_CASES = 1000


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzzed URLs name made-up hosts: resolve loopback and literals only, so nothing leaves.

    The URL guard at submit resolves each URL's host; a host that does not resolve passes
    (the delivery worker checks again), which is what every made-up name does here.
    """
    real = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.split("%", 1)[0])
        except ValueError:
            if name.lower() != "localhost":
                raise socket.gaierror(socket.EAI_NONAME, f"{name}: not resolved in tests") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


def test_generated_requests_get_only_documented_answers(embedded, no_dns):
    tenant = TenantApi.create(embedded)
    auth = {"Authorization": f"Bearer {tenant.tenant.api_key}"}
    schema = schemathesis.openapi.from_url(f"{embedded.api_url}/swagger?format=json", timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the document lists the API's operations"

    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    session = requests.Session()

    # Ids that exist, so generated requests also reach a task or connection and not only 404s.
    task = tenant.submit("https://shop.example/shoe.png", auto_video=False)
    connection = tenant.request(
        "POST",
        "/v1/shop-connections",
        json_body={"platform": "shopify", "shop": "fuzz.myshopify.com", "webhook_secret": "s3cret"},
    ).json()
    known_ids = {"/v1/product-videos/": task["id"], "/v1/shop-connections/": connection["id"]}

    def fuzz(operation: schemathesis.APIOperation) -> None:
        label = f"{operation.method.upper()} {operation.path}"
        modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
        strategies = [operation.as_strategy(mode) for mode in modes]
        known = next((i for prefix, i in known_ids.items() if operation.path.startswith(prefix)), None)
        if known is not None:
            strategies.append(operation.as_strategy(modes[0], path_parameters={"id": known}))
        strategy = st.one_of(*strategies)

        @settings(
            max_examples=CASES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=embedded.api_url, session=session, headers=auth, timeout=30)
            sent[label] += 1
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=auth)
            except (AssertionError, FailureGroup) as exc:
                failures.append(f"{label} -> {response.status_code}: {exc}")

        run()

    for operation in operations:
        fuzz(operation)
    session.close()

    assert not failures, "\n\n".join(failures[:5]) + f"\n\n({len(failures)} failures)"
    total = sum(sent.values())
    print(f"\n{total} generated cases over {len(sent)} operations; statuses {dict(sorted(statuses.items()))}")
    assert total >= MIN_CASES, sent
    # The fuzzer reached the handlers with valid submissions, not only refusals at the door.
    assert statuses[201] > 0 and statuses[400] > 0, statuses
