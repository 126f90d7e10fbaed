"""The approvals page (``GET /approvals``): held calls, live, with approve and deny buttons.

Static files shipped in the package (``page/``: one HTML file, one script, one stylesheet; no build step, no CDN),
served by the same app. The page signs in with the approver's bearer token, kept in the tab's session storage, and
uses the JSON API (``GET /v1/approvals`` every 1.5 s, ``POST /v1/approvals/{id}/approve|deny``), so it has no
authority of its own: every decision goes through the API's authentication, self-approval check and audit.
A strict Content-Security-Policy (scripts and connections to this origin only, no inline code, no framing) and
``textContent`` for everything the server returns keep tool arguments shaped by an attacker from running as code.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import Response

ROUTE = "/approvals"
#: route suffix -> (file in page/, media type)
ASSETS = {
    "": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def page_files() -> dict[str, tuple[bytes, str]]:
    """Route -> (body, media type), read from the package once."""
    folder = resources.files("hooks.service") / "page"
    return {ROUTE + suffix: ((folder / name).read_bytes(), media) for suffix, (name, media) in ASSETS.items()}


def add_approvals_page(app: FastAPI) -> None:
    """Register the page's routes (left out of the OpenAPI document: they are not part of the API)."""
    for route, (body, media) in page_files().items():

        async def serve(body: bytes = body, media: str = media) -> Response:
            return Response(body, media_type=media, headers=SECURITY_HEADERS)

        app.add_api_route(route, serve, methods=["GET"], include_in_schema=False, response_class=Response)
