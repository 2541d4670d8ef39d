"""The review console's files, as API Gateway serves them from the API function (no browser here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelay_local.aws.api_events import rest_proxy_event
from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.aws.stack import ApiAnswer
from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig
from tests.integration.pipeline import RunningStack

API = "ApiFunction"
DEPLOYED_DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com"


@pytest.fixture(scope="module")
def embedded() -> Iterator[EmbeddedStack]:
    """One stack for the module: these tests only read static files."""
    with CreatifySimulator(SimulatorConfig()) as simulator, RunningStack(simulator) as stack:
        yield stack


def get(embedded, path: str) -> ApiAnswer:
    """Through the local API Gateway, with no Authorization header at all."""
    return embedded.stack.api_request("GET", path)


def directives(policy: str) -> dict[str, str]:
    pairs = (d.strip().split(" ", 1) for d in policy.split(";"))
    return {name: value for name, value in pairs}


@pytest.mark.parametrize(
    ("path", "content_type", "opening"),
    [
        ("/console", "text/html; charset=utf-8", "<!doctype html>"),
        ("/console/app.js", "text/javascript; charset=utf-8", "// Reelay's review console"),
        ("/console/style.css", "text/css; charset=utf-8", "/* Reelay's review console"),
    ],
)
def test_the_console_files_are_served_without_a_key_with_their_content_types(
    embedded, path, content_type, opening
):
    answer = get(embedded, path)

    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == content_type
    assert answer.body.decode().startswith(opening)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_only_the_two_assets_are_served_and_nothing_else_from_the_folder(embedded):
    for name in ("index.html", "app.js.map", "..%2Fapp.py", "console_routes.py"):
        answer = get(embedded, f"/console/{name}")
        assert answer.status == 404, name
        assert answer.json()["error"]["code"] == "not_found"
    # No such resource in the template: API Gateway answers before the function is reached.
    assert get(embedded, "/console/a/b").status == 403


def test_the_policy_allows_only_the_api_for_scripts_styles_and_calls_and_https_media(embedded):
    policy = directives(get(embedded, "/console").headers["Content-Security-Policy"])

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["form-action"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    # Served on loopback (the local stack): the simulator's media on another local port too.
    assert policy["img-src"].split() == ["'self'", "https:", "http://127.0.0.1:*", "http://localhost:*"]
    assert policy["media-src"] == policy["img-src"]


def test_a_deployed_stack_allows_https_media_only(embedded):
    event = rest_proxy_event(
        method="GET", path="/console", resource="/console", stage="dev", domain_name=DEPLOYED_DOMAIN
    )
    result = embedded.stack.functions[API].invoke(event)

    assert result["statusCode"] == 200
    policy = directives(result["multiValueHeaders"]["Content-Security-Policy"][0])
    assert policy["img-src"] == "'self' https:"
    assert policy["media-src"] == "'self' https:"


def test_the_console_stays_out_of_the_openapi_document(embedded):
    answer = embedded.stack.api_request("GET", "/swagger", query_string="format=json")
    spec = answer.json()
    assert "/v1/product-videos" in spec["paths"]
    assert not [path for path in spec["paths"] if path.startswith("/console")]


def test_the_template_routes_the_console_to_the_api_function_without_the_authorizer(embedded):
    routes = {(r.method, r.resource): r for r in embedded.stack.routes}
    for resource in ("/console", "/console/{asset}"):
        route = routes[("GET", resource)]
        assert route.function == API
        assert route.authorized is False
