"""The review console: static files the API serves itself at `/console`, under a strict CSP.

The page at `<base>/console` loads `console/app.js` and `console/style.css` (relative URLs, so
the stage path or a custom domain's base path needs no configuration) and calls the API at
`<base>` with the tenant's key, which it keeps in the tab's sessionStorage only.

What the Content-Security-Policy allows, and why:
- scripts, styles and API calls (`connect-src`) from the API's own origin only;
- images and videos also from any `https:` host: the preview and video URLs are Creatify's
  (its storage and CDN hosts are not documented as a fixed list and have changed before), so
  no narrower list would keep working;
- plus `http://127.0.0.1:*` and `http://localhost:*` when the page itself is served on
  loopback (the local stack), where the Creatify simulator serves media over plain HTTP
  on a port of its own. A deployed stack never gets these.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reelay.http.request_context import served_on_loopback
from reelay.http.rest import Answer, Call, Param, Refusal, RestApi

STATIC = Path(__file__).parent / "console"
PAGE = "index.html"
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
LOOPBACK_MEDIA = "http://127.0.0.1:* http://localhost:*"


def content_security_policy(served_on_loopback: bool) -> str:
    media = "'self' https:" + (f" {LOOPBACK_MEDIA}" if served_on_loopback else "")
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src {media}",
            f"media-src {media}",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            # The forms are handled in script; this stops a key typed before app.js ran from
            # being submitted into the page's URL.
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


@cache
def _read(name: str) -> str:
    # Read on first use, not at import: API requests that never open the console pay nothing.
    return (STATIC / name).read_text(encoding="utf-8")


def _static_answer(call: Call, name: str, content_type: str) -> Answer:
    headers = {
        "Content-Security-Policy": content_security_policy(served_on_loopback(call.event)),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        # Small files: always revalidate, so a deploy shows at once.
        "Cache-Control": "no-cache",
    }
    return Answer(200, text=_read(name), content_type=content_type, headers=headers)


def register_console(api: RestApi) -> None:
    """Add GET /console and GET /console/{asset} (app.js, style.css) to the API's routes."""

    @api.get("/console", documented=False, public=True)
    def console_page(call: Call) -> Answer:
        return _static_answer(call, PAGE, "text/html; charset=utf-8")

    @api.get("/console/{asset}", documented=False, public=True, params=(Param("asset", "path"),))
    def console_asset(call: Call) -> Answer:
        asset = call.params["asset"]
        content_type = ASSETS.get(asset)
        if content_type is None:
            raise Refusal(404, "not_found", f"the console has no file named {asset}", "asset")
        return _static_answer(call, asset, content_type)
