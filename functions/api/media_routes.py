"""GET /media/{task_id}/{asset}?sig=: a lasting media link answered with a short-lived redirect.

Public (no tenant key): the signature is the credential, made with the stack's callback secret
(security/media_links.py), so a shop's product page or a webhook receiver can hold the link.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from reelay.errors import MediaLinkInvalid, MediaNotArchived
from reelay.http.openapi import public, raises


def register_media(app: APIGatewayRestResolver) -> None:
    @app.get(
        "/media/<task_id>/<asset>",
        summary="Fetch an archived photo or video through its media link",
        description="The `url` of a file in a task's `media`. Answers 302 to a presigned URL "
        "that lasts 15 minutes; the link itself lasts as long as the archived file.",
        responses={302: {"description": "Redirect to the archived file (Location header)."}},
    )
    @raises(MediaLinkInvalid, MediaNotArchived)
    @public
    def media_link(
        task_id: Annotated[str, Path(max_length=64)],
        asset: Annotated[str, Path(max_length=16, description="photo or video")],
        sig: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response[None]:
        from reelay.deps import runtime
        from reelay.logic.media_access import media_redirect

        location = media_redirect(task_id, asset, sig, runtime())
        return Response(
            status_code=302,
            headers={"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )
