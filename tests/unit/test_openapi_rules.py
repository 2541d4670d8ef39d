"""The document's rules apply to any route, and it promises only the answers the API gives.

A small `RestApi` with records of the tests' own stands in for the API: the document is read as a
client reads it (JSON), and what the API answers is checked against it with jsonschema.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from reelay.errors import ConnectionNotFound, SealedSecretUnreadable, TaskNotFound, WrongStatus
from reelay.http.errors import LOGIC_ERRORS
from reelay.http.openapi import GENERIC_ANSWERS, embedded_json, openapi_document, operation_id, swagger_page
from reelay.http.rest import Answer, Call, Param, RestApi
from reelay.models.records import Record, record, text
from reelay.models.status import TaskStatus

KEY = {"tenantKey": {"type": "http", "scheme": "bearer", "description": "The tenant's key"}}
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


@record
class Note(Record):
    """A note on a task."""

    forbid_unknown = True
    text: str = text(required=True, max_length=50)
    status: TaskStatus = TaskStatus.INITIALIZING
    written_at: datetime | None = None


@record
class Hidden(Record):
    secret: str


def _document(api: RestApi, *, secured: bool = True, **kwargs: Any) -> dict[str, Any]:
    if secured:
        kwargs |= {"security_schemes": KEY, "security": [{"tenantKey": []}]}
    document = openapi_document(api, title="Test", version="1.0.0", **kwargs)
    return json.loads(json.dumps(document))  # as a client reads it


def _event(method: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {"httpMethod": method, "resource": resource, "path": resource, "headers": {}, **extra}


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator for `schema`, its `$ref`s resolved in the document's components."""
    return jsonschema.Draft202012Validator(
        {**schema, "components": document["components"]}, format_checker=jsonschema.FormatChecker()
    )


def test_a_route_gets_its_declared_errors_and_the_generic_ones():
    api = RestApi()

    @api.post(
        "/v1/tasks/{id}/notes",
        status=201,
        returns=Note,
        body=Note,
        params=(Param("id", "path", max_length=64),),
        errors=(TaskNotFound, WrongStatus),
    )
    def add_note(call: Call) -> Note:
        return call.body

    @api.get("/v1/health", returns=Note)
    def health(call: Call) -> Note:
        return Note(text="ok")

    document = _document(api)
    notes = document["paths"]["/v1/tasks/{id}/notes"]["post"]["responses"]
    assert set(notes) == {"201", "400", "401", "404", "409", "413", "415"}
    assert notes["404"]["description"] == LOGIC_ERRORS[TaskNotFound].meaning
    assert notes["401"]["description"] == GENERIC_ANSWERS[401]
    assert notes["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Note"}
    for status in ("400", "401", "404", "409", "413", "415"):
        assert notes[status]["content"]["application/json"]["schema"] == ERROR_BODY
    # No parameters, no body: nothing to refuse with a 400, only the key.
    assert set(document["paths"]["/v1/health"]["get"]["responses"]) == {"200", "401"}
    assert document["security"] == [{"tenantKey": []}]
    assert document["components"]["securitySchemes"] == KEY


def test_without_security_no_401_and_errors_sharing_a_status_share_one_entry():
    api = RestApi()

    @api.get(
        "/public",
        returns=Note,
        params=(Param("q", "query", max_length=5),),
        errors=(TaskNotFound, ConnectionNotFound),
    )
    def public(call: Call) -> Note:
        return Note(text=call.params["q"] or "")

    document = _document(api, secured=False)
    responses = document["paths"]["/public"]["get"]["responses"]
    assert set(responses) == {"200", "400", "404"}
    description = responses["404"]["description"]
    assert LOGIC_ERRORS[TaskNotFound].meaning in description
    assert LOGIC_ERRORS[ConnectionNotFound].meaning in description
    assert "security" not in document


def test_a_public_route_is_documented_without_security_and_without_401():
    api = RestApi()

    @api.get("/v1/open", returns=Note, public=True)
    def open_route(call: Call) -> Note:
        return Note(text="open")

    @api.get("/v1/closed", returns=Note)
    def closed(call: Call) -> Note:
        return Note(text="closed")

    paths = _document(api)["paths"]
    assert paths["/v1/open"]["get"]["security"] == []
    assert "401" not in paths["/v1/open"]["get"]["responses"]
    assert "security" not in paths["/v1/closed"]["get"]  # the document's own applies
    assert "401" in paths["/v1/closed"]["get"]["responses"]


def test_204_and_a_redirect_answer_no_body_and_other_successes_share_the_record():
    api = RestApi()

    @api.delete("/v1/notes/{id}", status=204, params=(Param("id", "path"),))
    def drop(call: Call) -> None:
        return None

    @api.get(
        "/media/{id}",
        status=302,
        returns=Note,
        params=(Param("id", "path"),),
        answers={302: "Redirect to the file (Location header)."},
        public=True,
    )
    def media(call: Call) -> Answer:
        return Answer(302, headers={"Location": "https://example.invalid/file"})

    @api.post(
        "/v1/notes",
        status=201,
        returns=Note,
        body=Note,
        answers={201: "The new note.", 200: "The note an earlier request made."},
    )
    def add(call: Call) -> Note:
        return call.body

    paths = _document(api)["paths"]
    assert paths["/v1/notes/{id}"]["delete"]["responses"]["204"] == {"description": "Successful Response"}
    redirect = paths["/media/{id}"]["get"]["responses"]["302"]
    assert "content" not in redirect
    assert redirect["description"] == "Redirect to the file (Location header)."
    assert set(redirect["headers"]) == {"Location"}
    responses = paths["/v1/notes"]["post"]["responses"]
    assert list(responses)[:2] == ["201", "200"]
    assert responses["200"]["description"] == "The note an earlier request made."
    assert responses["200"]["content"] == responses["201"]["content"]


def test_parameters_and_bodies_are_documented_as_the_api_reads_them():
    api = RestApi()

    @api.post(
        "/v1/tasks/{id}/notes",
        returns=Note,
        body=Note,
        body_required=False,
        params=(
            Param("id", "path", max_length=64),
            Param("limit", "query", kind=int, ge=1, le=100, default=20),
            Param("status", "query", kind=TaskStatus, description="Only tasks at this status"),
            Param("idempotency-key", "header", max_length=255, pattern=r"^\S+$"),
        ),
    )
    def add_note(call: Call) -> Note:
        return call.body or Note(text="none")

    document = _document(api)
    operation = document["paths"]["/v1/tasks/{id}/notes"]["post"]
    id_, limit, status, key = operation["parameters"]
    assert id_ == {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "maxLength": 64, "title": "Id"},
    }
    assert limit["required"] is False
    assert limit["schema"] == {
        "type": "integer",
        "maximum": 100,
        "minimum": 1,
        "title": "Limit",
        "default": 20,
    }
    assert status["description"] == "Only tasks at this status"
    assert status["schema"]["anyOf"] == [{"$ref": "#/components/schemas/TaskStatus"}, {"type": "null"}]
    assert key["in"] == "header"
    assert key["schema"]["title"] == "Idempotency-Key"
    assert key["schema"]["anyOf"][0] == {"type": "string", "maxLength": 255, "pattern": r"^\S+$"}
    # An optional body: none, or null, reads as none.
    assert operation["requestBody"] == {
        "content": {
            "application/json": {
                "schema": {"anyOf": [{"$ref": "#/components/schemas/Note"}, {"type": "null"}]}
            }
        },
        "required": False,
    }
    assert document["components"]["schemas"]["TaskStatus"]["enum"] == [status.value for status in TaskStatus]


def test_operation_ids_are_spelled_as_powertools_spelled_them():
    api = RestApi()

    @api.get("/v1/product-videos")
    def list_tasks(call: Call) -> None: ...

    @api.get("/media/{task_id}/{asset}", params=(Param("task_id", "path"), Param("asset", "path")))
    def media_link(call: Call) -> None: ...

    # The ids of the document main served (clients generated from it name their calls by them).
    assert [operation_id(route) for route in api.routes] == [
        "list_tasks_v1_product_videos_get",
        "media_link_media__task_id___asset__get",
    ]
    paths = _document(api)["paths"]
    assert paths["/v1/product-videos"]["get"]["operationId"] == "list_tasks_v1_product_videos_get"


def test_an_undocumented_route_and_its_records_stay_out():
    api = RestApi()

    @api.post("/console/secret", returns=Hidden, body=Hidden, documented=False)
    def secret(call: Call) -> Hidden:
        return call.body

    @api.get("/v1/notes", returns=Note)
    def notes(call: Call) -> Note:
        return Note(text="n")

    document = _document(api)
    assert list(document["paths"]) == ["/v1/notes"]
    assert "Hidden" not in document["components"]["schemas"]


def test_no_powertools_shapes_and_every_reference_resolves():
    api = RestApi()

    @api.post("/v1/notes/{id}", returns=Note, body=Note, params=(Param("id", "path"),), errors=(WrongStatus,))
    def add(call: Call) -> Note:
        return call.body

    document = _document(api)
    schemas = document["components"]["schemas"]
    assert set(schemas) == {"ErrorBody", "ErrorDetail", "Note", "TaskStatus"}
    text = json.dumps(document)
    assert "422" not in document["paths"]["/v1/notes/{id}"]["post"]["responses"]
    assert "HTTPValidationError" not in text and "ValidationError" not in text
    refs = {ref.removeprefix("#/components/schemas/") for ref in _refs(document)}
    assert refs <= set(schemas)
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_an_error_the_api_does_not_map_cannot_be_declared():
    api = RestApi()
    with pytest.raises(KeyError, match="SealedSecretUnreadable"):

        @api.get("/v1/boom", errors=(SealedSecretUnreadable,))
        def boom(call: Call) -> None: ...


@pytest.mark.parametrize("error_type", list(LOGIC_ERRORS))
def test_the_answer_the_document_promises_is_the_answer_the_api_gives(error_type):
    api = RestApi()
    exc = _sample(error_type)

    @api.get("/boom", returns=Note, errors=(error_type,))
    def boom(call: Call) -> Note:
        raise exc

    document = _document(api)
    answer = api.answer(_event("GET", "/boom"))
    status = LOGIC_ERRORS[error_type].status
    assert answer["statusCode"] == status
    documented = document["paths"]["/boom"]["get"]["responses"][str(status)]
    assert LOGIC_ERRORS[error_type].meaning in documented["description"]
    body = json.loads(answer["body"])
    _validator(document, documented["content"]["application/json"]["schema"]).validate(body)
    assert body["error"]["code"] == LOGIC_ERRORS[error_type].code


def test_a_refusal_and_a_success_are_shaped_as_documented():
    api = RestApi()

    @api.post("/v1/notes", status=201, returns=Note, body=Note)
    def add(call: Call) -> Note:
        return call.body.replace(written_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))

    document = _document(api)
    responses = document["paths"]["/v1/notes"]["post"]["responses"]

    created = api.answer(_event("POST", "/v1/notes", body=json.dumps({"text": "hi", "status": "failed"})))
    assert created["statusCode"] == 201
    body = json.loads(created["body"])
    _validator(document, responses["201"]["content"]["application/json"]["schema"]).validate(body)
    assert body["written_at"] == "2026-01-02T03:04:05Z"

    refused = api.answer(_event("POST", "/v1/notes", body=json.dumps({"text": "hi", "colour": "red"})))
    assert refused["statusCode"] == 400
    _validator(document, ERROR_BODY).validate(json.loads(refused["body"]))
    # What the document says of the body refuses what the API refuses.
    with pytest.raises(jsonschema.ValidationError):
        _validator(document, {"$ref": "#/components/schemas/Note"}).validate({"text": "hi", "colour": "red"})


def test_the_swagger_page_embeds_the_document_so_no_string_in_it_ends_the_script():
    api = RestApi()

    @api.get("/v1/notes", returns=Note, summary="Notes </script><script>alert(1)</script>")
    def notes(call: Call) -> Note:
        return Note(text="n")

    document = _document(api, description="The API")
    page = swagger_page(document)
    # Only the page's own two script elements end: Swagger UI's bundle inline, then its start.
    assert page.count("</script>") == 2
    assert "</script><script>alert(1)" not in page
    assert embedded_json(document) in page
    assert json.loads(embedded_json(document)) == document  # still the same JSON
    assert "SwaggerUIBundle(swaggerUIOptions)" in page


def test_building_the_document_imports_neither_pydantic_nor_powertools_resolvers():
    probe = (
        "import sys\n"
        "from reelay.http.openapi import openapi_document\n"
        "from reelay.http.rest import RestApi\n"
        "openapi_document(RestApi(), title='t', version='1')\n"
        "print(sorted(m for m in sys.modules\n"
        "    if m == 'pydantic' or m.startswith('aws_lambda_powertools.event_handler')))\n"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)  # noqa: S603
    assert shown.stdout.strip() == "[]"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _sample(error_type: type[Exception]) -> Exception:
    arguments: dict[str, tuple[Any, ...]] = {
        "WrongStatus": (TaskStatus.FAILED, TaskStatus.IMAGE_GENERATED, "a video can only be generated"),
        "UnsafeRequestUrl": ("webhook_url", "private address"),
        "CredentialNotForPlatform": ("consumer_key", "consumer_key is not a shopify credential"),
        "IdempotencyConflict": ("t1",),
        "ConnectionNotFound": ("c1",),
        "ShopAlreadyConnected": ("shopify", "acme.myshopify.com"),
        "NothingToDeliver": ("the task has no webhook_url", "webhook_url"),
    }
    return error_type(*arguments.get(error_type.__name__, ("went wrong",)))
