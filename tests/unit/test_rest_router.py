"""The API's router (reelay.http.rest): what it reads from a proxy event, and how it answers.

Each test sends API Gateway's REST proxy event, as the gateway builds it, through a small API
of test routes, and reads the answer as API Gateway would (status, headers, JSON body).
"""

from __future__ import annotations

import base64
import json
from enum import Enum
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reelay.errors import TaskNotFound, WrongStatus
from reelay.http.rest import Answer, Call, Param, Refusal, RestApi
from reelay.models.records import Record, number, record, text
from reelay.models.status import TaskStatus


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@record
class Tag(Record):
    """A tag on a thing."""

    forbid_unknown = True

    label: str = text(required=True, max_length=8)


@record
class Thing(Record):
    """A thing, as the test routes take it."""

    forbid_unknown = True
    strip_whitespace = True

    name: str = text(required=True, max_length=10)
    size: int = number(1, ge=1, le=5)
    colour: Colour = Colour.RED
    tag: Tag | None = None


def _api() -> RestApi:
    api = RestApi()

    @api.post("/things", status=201, returns=Thing, body=Thing, errors=(WrongStatus,))
    def create(call: Call) -> Thing:
        if call.body.name == "taken":
            raise WrongStatus(TaskStatus.FAILED, TaskStatus.IMAGE_GENERATED, "a thing can only be made")
        return call.body

    @api.get(
        "/things/{id}",
        returns=Thing,
        params=(
            Param("id", "path", max_length=4),
            Param("limit", "query", kind=int, ge=1, le=100, default=20),
            Param("colour", "query", kind=Colour),
            Param("code", "query", pattern=r"^[a-z]+$"),
            Param("x-trace", "header", max_length=5),
        ),
        errors=(TaskNotFound,),
    )
    def read(call: Call) -> Any:
        if call.params["id"] == "gone":
            raise TaskNotFound("no such thing")
        if call.params["id"] == "busy":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")
        if call.params["id"] == "both" and call.params["code"]:
            raise Refusal(400, "validation_error", "code: not with both", "code")
        return dict(call.params)

    @api.post("/things/{id}/note", params=(Param("id", "path"),), body=Tag, body_required=False)
    def note(call: Call) -> Answer:
        return Answer(204) if call.body is None else Answer(200, {"label": call.body.label})

    @api.get("/page", documented=False)
    def page(call: Call) -> Answer:
        return Answer(200, text="<p>hi</p>", content_type="text/html", headers={"Cache-Control": "no-cache"})

    return api


def _event(
    method: str,
    resource: str,
    *,
    path: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    body: str | bytes | None = None,
) -> dict[str, Any]:
    encoded = isinstance(body, bytes)
    return {
        "resource": resource,
        "path": resource,
        "httpMethod": method,
        "headers": headers or ({"Content-Type": "application/json"} if body is not None else {}),
        "pathParameters": path,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "body": base64.b64encode(body).decode() if encoded else body,
        "isBase64Encoded": encoded,
        "requestContext": {"stage": "v1", "authorizer": {"tenant_id": "t1"}},
    }


def _read(answer: dict[str, Any]) -> tuple[int, Any]:
    body = answer["body"]
    return answer["statusCode"], json.loads(body) if body else None


def _error(answer: dict[str, Any]) -> tuple[int, str, str | None, str]:
    status, body = _read(answer)
    return status, body["error"]["code"], body["error"].get("field"), body["error"]["message"]


def test_a_body_is_read_into_its_record_and_answered_with_the_route_status() -> None:
    answer = _api().answer(_event("POST", "/things", body='{"name": "  box ", "tag": {"label": "new"}}'))
    assert _read(answer) == (201, {"name": "box", "size": 1, "colour": "red", "tag": {"label": "new"}})
    assert answer["multiValueHeaders"]["Content-Type"] == ["application/json"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("{}", "name", "name: this field is required"),
        ('{"name": "a", "extra": 1}', "extra", "extra: unknown field"),
        ('{"name": "a", "size": 9}', "size", "size: 9 is more than 5"),
        ('{"name": "a", "size": "2"}', "size", "size: '2' is not a whole number"),
        ('{"name": "a", "colour": "green"}', "colour", "colour: 'green' is not one of red, blue"),
        (
            '{"name": "a", "tag": {"label": "far too long"}}',
            "tag.label",
            "tag.label: longer than 8 characters",
        ),
        ('{"name": "a", "tag": {"label": "x", "z": 1}}', "tag.z", "tag.z: unknown field"),
        ("[1, 2]", "body", "body: should be a JSON object"),
    ],
)
def test_a_body_its_record_cannot_hold_is_a_400_naming_the_field(body: str, field: str, message: str) -> None:
    assert _error(_api().answer(_event("POST", "/things", body=body))) == (
        400,
        "validation_error",
        field,
        message,
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"name": "a",', "invalid_json"),
        ('{"name": "a", "name": "b"}', "invalid_json"),  # two readers could disagree
        ("[" * 40 + "]" * 40, "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        ('{"name": "\\udc00"}', "invalid_json"),  # no UTF-8 holds it: it must not fail later
        ("", "validation_error"),
    ],
)
def test_a_body_that_is_not_one_json_object_is_a_400(body: str | bytes, code: str) -> None:
    status, found, _, _ = _error(_api().answer(_event("POST", "/things", body=body)))
    assert (status, found) == (400, code)


def test_a_body_is_json_whatever_the_case_of_its_content_type() -> None:
    event = _event("POST", "/things", body='{"name": "a"}', headers={"content-type": "Application/JSON"})
    assert _read(_api().answer(event))[0] == 201


def test_a_base64_body_is_decoded_and_one_that_is_not_base64_is_a_400() -> None:
    assert _read(_api().answer(_event("POST", "/things", body=b'{"name": "a"}')))[0] == 201
    broken = {**_event("POST", "/things", body="{}"), "body": "not base64!", "isBase64Encoded": True}
    assert _error(_api().answer(broken))[:2] == (400, "invalid_json")


@pytest.mark.parametrize(
    ("body", "message"), [("  ", "body: this field is required"), ("null", "body: should be a JSON object")]
)
def test_a_blank_or_null_body_where_one_is_required_is_a_400_naming_the_body(body: str, message: str) -> None:
    assert _error(_api().answer(_event("POST", "/things", body=body))) == (
        400,
        "validation_error",
        "body",
        message,
    )


def test_a_body_sent_as_a_form_is_a_415() -> None:
    event = _event(
        "POST", "/things", body="name=a", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert _error(_api().answer(event))[:3] == (415, "unsupported_media_type", "Content-Type")


def test_an_optional_body_may_be_left_out() -> None:
    assert _api().answer(_event("POST", "/things/{id}/note", path={"id": "1"}))["statusCode"] == 204
    sent = _event("POST", "/things/{id}/note", path={"id": "1"}, body='{"label": "hi"}')
    assert _read(_api().answer(sent)) == (200, {"label": "hi"})


def test_parameters_are_read_by_their_kind_with_their_defaults() -> None:
    event = _event(
        "GET",
        "/things/{id}",
        path={"id": "a1"},
        query={"limit": ["7"], "colour": ["blue"]},
        headers={"X-Trace": "abc"},
    )
    assert _read(_api().answer(event)) == (
        200,
        {"id": "a1", "limit": 7, "colour": "blue", "code": None, "x_trace": "abc"},
    )
    bare = _read(_api().answer(_event("GET", "/things/{id}", path={"id": "a1"})))[1]
    assert bare["limit"] == 20 and bare["colour"] is None


@pytest.mark.parametrize(
    ("path", "query", "headers", "field", "message"),
    [
        ("toolong", {}, {}, "id", "id: longer than 4 characters"),
        ("a1", {"limit": ["0"]}, {}, "limit", "limit: should be at least 1"),
        ("a1", {"limit": ["101"]}, {}, "limit", "limit: should be at most 100"),
        ("a1", {"limit": ["ten"]}, {}, "limit", "limit: should be a whole number"),
        ("a1", {"limit": ["1", "2"]}, {}, "limit", "limit: given more than once"),
        ("a1", {"colour": ["green"]}, {}, "colour", "colour: should be one of red, blue"),
        ("a1", {"code": ["ABC"]}, {}, "code", "code: does not match ^[a-z]+$"),
        # `$` is the end of the value, not the place before a final newline.
        ("a1", {"code": ["abc\n"]}, {}, "code", "code: does not match ^[a-z]+$"),
        ("a1", {}, {"x-trace": "123456"}, "x-trace", "x-trace: longer than 5 characters"),
    ],
)
def test_a_parameter_breaking_its_rule_is_a_400_naming_it(
    path: str, query: dict[str, list[str]], headers: dict[str, str], field: str, message: str
) -> None:
    event = _event("GET", "/things/{id}", path={"id": path}, query=query, headers=headers)
    assert _error(_api().answer(event)) == (400, "validation_error", field, message)


def test_logic_errors_are_answered_as_their_table_says() -> None:
    gone = _api().answer(_event("GET", "/things/{id}", path={"id": "gone"}))
    assert _error(gone) == (404, "not_found", "id", "no such product video")
    taken = _api().answer(_event("POST", "/things", body='{"name": "taken"}'))
    assert _error(taken) == (
        409,
        "wrong_status",
        "status",
        "a thing can only be made from status image_generated; the task is failed",
    )


def test_a_route_refusal_is_a_4xx_in_the_error_shape() -> None:
    event = _event("GET", "/things/{id}", path={"id": "both"}, query={"code": ["a"]})
    assert _error(_api().answer(event)) == (400, "validation_error", "code", "code: not with both")


def test_aws_still_busy_after_retries_is_a_503_to_retry() -> None:
    answer = _api().answer(_event("GET", "/things/{id}", path={"id": "busy"}))
    assert _error(answer)[:2] == (503, "temporarily_unavailable")
    assert answer["multiValueHeaders"]["Retry-After"] == ["2"]


def test_any_other_failure_is_raised_for_lambda_to_report() -> None:
    api = RestApi()

    @api.get("/boom")
    def boom(call: Call) -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        api.answer(_event("GET", "/boom"))


def test_an_unknown_route_is_a_404() -> None:
    assert _error(_api().answer(_event("GET", "/nowhere")))[:2] == (404, "not_found")
    assert _error(_api().answer(_event("DELETE", "/things")))[:2] == (404, "not_found")


def test_text_answers_keep_their_content_type_and_headers() -> None:
    answer = _api().answer(_event("GET", "/page"))
    assert answer["body"] == "<p>hi</p>"
    assert answer["multiValueHeaders"] == {"Content-Type": ["text/html"], "Cache-Control": ["no-cache"]}


def test_a_route_is_declared_with_the_parameters_its_path_names_and_mapped_errors_only() -> None:
    api = RestApi()
    with pytest.raises(ValueError, match="path parameters"):
        api.get("/things/{id}")(lambda call: None)
    with pytest.raises(KeyError, match="LOGIC_ERRORS"):
        api.get("/x", errors=(LookupError,))(lambda call: None)
    api.get("/y")(lambda call: None)
    with pytest.raises(ValueError, match="declared twice"):
        api.get("/y")(lambda call: None)


def test_a_parameter_kind_is_str_int_or_an_enum() -> None:
    with pytest.raises(TypeError):
        Param("when", "query", kind=float)
