"""GET /media/{task_id}/{asset}?sig=: a lasting media link answered with a short-lived redirect.

Public (no tenant key): the signature is the credential, made with the stack's callback secret
(security/media_links.py), so a shop's product page or a webhook receiver can hold the link.
"""

from __future__ import annotations

from reelay.errors import MediaLinkInvalid, MediaNotArchived
from reelay.http.rest import Answer, Call, Param, RestApi


def register_media(api: RestApi) -> None:
    @api.get(
        "/media/{task_id}/{asset}",
        summary="Fetch an archived photo or video through its media link",
        description="The `url` of a file in a task's `media`. Answers 302 to a presigned URL "
        "that lasts 15 minutes; the link itself lasts as long as the archived file.",
        status=302,
        answers={302: "Redirect to the archived file (Location header)."},
        params=(
            Param("task_id", "path", max_length=64),
            Param("asset", "path", max_length=16, description="photo or video"),
            Param("sig", "query", max_length=64),
        ),
        errors=(MediaLinkInvalid, MediaNotArchived),
        public=True,
    )
    def media_link(call: Call) -> Answer:
        from reelay.deps import runtime
        from reelay.logic.media_access import media_redirect

        asked = call.params
        location = media_redirect(asked["task_id"], asked["asset"], asked["sig"], runtime())
        headers = {"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        return Answer(302, headers=headers)
