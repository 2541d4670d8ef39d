"""The document's rules apply to any route, including ones added later, and promise only mapped errors."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel

from reelay.errors import ConnectionNotFound, SealedSecretUnreadable, TaskNotFound, WrongStatus
from reelay.http.errors import LOGIC_ERRORS, map_logic_errors, use_error_shape
from reelay.http.openapi import DocumentedRestResolver, raises


class Note(BaseModel):
    text: str


def _document(app: DocumentedRestResolver, **kwargs: Any) -> dict[str, Any]:
    return app.get_openapi_schema(**kwargs).model_dump(mode="json", by_alias=True, exclude_none=True)


def _app() -> DocumentedRestResolver:
    app = DocumentedRestResolver(enable_validation=True)
    use_error_shape(app)
    map_logic_errors(app)
    return app


def test_a_new_route_gets_its_declared_errors_and_the_generic_ones():
    app = _app()

    @app.post("/v1/tasks/<id>/notes", status_code=201)
    @raises(TaskNotFound, WrongStatus)
    def add_note(id: str, note: Annotated[Note, Body()]) -> Note:
        return note

    @app.get("/v1/health")
    def health() -> Note:
        return Note(text="ok")

    document = _document(app, security_schemes={"key": HTTPBearer()}, security=[{"key": []}])
    notes = document["paths"]["/v1/tasks/{id}/notes"]["post"]["responses"]
    assert set(notes) == {"201", "400", "401", "404", "409", "413", "415"}
    assert notes["404"]["description"] == LOGIC_ERRORS[TaskNotFound].meaning
    assert notes["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Note"}
    # No parameters, no body: nothing to refuse with a 400, only the key.
    assert set(document["paths"]["/v1/health"]["get"]["responses"]) == {"200", "401"}


def test_without_security_no_401_and_errors_sharing_a_status_share_one_entry():
    app = _app()

    @app.get("/public")
    @raises(TaskNotFound, ConnectionNotFound)
    def public(q: Annotated[str | None, Query(max_length=5)] = None) -> Note:
        return Note(text=q or "")

    responses = _document(app)["paths"]["/public"]["get"]["responses"]
    assert set(responses) == {"200", "400", "404"}
    description = responses["404"]["description"]
    assert LOGIC_ERRORS[TaskNotFound].meaning in description
    assert LOGIC_ERRORS[ConnectionNotFound].meaning in description


def test_an_error_the_api_does_not_map_cannot_be_declared():
    with pytest.raises(KeyError, match="SealedSecretUnreadable"):
        raises(SealedSecretUnreadable)


@pytest.mark.parametrize("error_type", list(LOGIC_ERRORS))
def test_the_answer_the_document_promises_is_the_answer_the_handler_gives(error_type):
    app = _app()
    exc = _sample(error_type)

    @app.get("/boom")
    def boom() -> Note:
        raise exc

    event = {
        "httpMethod": "GET",
        "path": "/boom",
        "resource": "/boom",
        "headers": {},
        "requestContext": {"stage": "dev", "httpMethod": "GET", "path": "/dev/boom"},
    }
    result = app.resolve(event, None)
    assert result["statusCode"] == LOGIC_ERRORS[error_type].status
    assert '"code":"' + LOGIC_ERRORS[error_type].code + '"' in result["body"].replace(" ", "")


def _sample(error_type: type[Exception]) -> Exception:
    from reelay.models.status import TaskStatus

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
