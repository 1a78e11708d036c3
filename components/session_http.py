"""The HTTP side of the sign-in cookie (served by server.py's `st.App`): two routes, since a
Streamlit script cannot set a cookie — after a sign-in the page posts a one-time claim code
here and the response sets it; a sign-out posts here to drop it (components/session.py) —
and `MediaGuard`, which serves Streamlit's file URLs only to a signed-in browser.

The cookie: a random token (the database keeps only its SHA-256), HttpOnly (page scripts
never read it), SameSite=Lax (sent when a leader opens a link from a chat or a mail, never
on another site's POST), Secure when the request came over HTTPS or AUTH_COOKIE_SECURE says
so, scoped to the app's path, and kept no longer than the absolute session limit. Both routes
take only same-origin POSTs (the Origin header must name this host), so another site cannot
plant or clear a sign-in; Streamlit's own XSRF protection stays on for its endpoints.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from components import session
from components.engine import engine_for
from core.settings import environment
from data import sessions
from data.config import database_url
from queries import audit

MAX_BODY = 1024
log = logging.getLogger(__name__)


def same_origin(request: Request) -> bool:
    """The Origin (or, lacking it, the Referer) names the host the request was sent to."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    host = request.headers.get("host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc == host


def cookie_secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return environment().auth_cookie_secure or request.url.scheme == "https" or forwarded == "https"


def _flags(request: Request, path: str) -> dict:
    """The cookie's attributes, the same when it is set and when it is dropped."""
    return {"path": path, "secure": cookie_secure(request), "httponly": True, "samesite": "lax"}


NO_STORE = {"Cache-Control": "no-store"}


def cookie_path(base_path: str) -> str:
    base = base_path.strip("/")
    return f"/{base}/" if base else "/"


async def _code(request: Request) -> str | None:
    body = await request.body()
    if len(body) > MAX_BODY:
        return None
    try:
        value = json.loads(body or b"{}").get("code")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def usable(row: sessions.SessionRow | None, at: datetime) -> bool:
    """A session that may fetch a file: live and inside the idle and absolute limits (the
    account itself is re-checked by the next page run, at most seconds later)."""
    if row is None or not row.live:
        return False
    return at - row.last_seen_at <= session.idle_timeout() and (
        at - row.created_at <= session.max_session()
    )


def _cookie(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == session.COOKIE_NAME and val:
                    return val
    return None


def _is_attachment(message: dict) -> bool:
    return any(
        name.lower() == b"content-disposition" and b"attachment" in value.lower()
        for name, value in message.get("headers", [])
    )


class MediaGuard:
    """ASGI middleware on Streamlit's /media/<id> URLs: a file served as a download (an
    export: Content-Disposition attachment) answers only a browser with a live sign-in
    cookie, and each one served is written to the audit log (issue 19.6: the URL alone used
    to fetch an export again, unaudited, without a session). Other media (the page icon on
    the sign-in form) and every other path pass untouched."""

    def __init__(self, app, base_path: str = "") -> None:
        self.app = app
        self.prefix = cookie_path(base_path) + "media/"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        engine = engine_for(database_url())
        token = _cookie(scope.get("headers", []))
        row = await run_in_threadpool(sessions.by_token, engine, token)
        allowed = usable(row, session.now())
        blocked = False

        async def guarded(message: dict) -> None:
            nonlocal blocked
            if message["type"] == "http.response.start" and _is_attachment(message):
                if not allowed:
                    blocked = True
                    refusal = PlainTextResponse(
                        "请先登录后再下载文件（链接仅在本人登录期间有效）。", status_code=403
                    )
                    await refusal(scope, receive, send)
                    return
                name = scope["path"][len(self.prefix) :][:120]
                client = (scope.get("client") or (None, None))[0]
                await run_in_threadpool(
                    _audit_download, engine, row.username, f"文件下载 {name}", client
                )
            if not blocked:
                await send(message)

        await self.app(scope, receive, guarded)


def _audit_download(engine, username: str, target: str, addr: str | None) -> None:
    try:
        audit.record(engine, username, "export", target, client_addr=addr)
    except SQLAlchemyError:
        log.exception("audit write failed: export %s", target)


def routes(base_path: str = "") -> list[Route]:
    """/_auth/claim and /_auth/sign-out under the app's base path."""
    path = cookie_path(base_path)

    async def claim(request: Request) -> Response:
        if not same_origin(request):
            return JSONResponse({"ok": False}, status_code=403)
        code = await _code(request)
        engine = engine_for(database_url())
        token = await run_in_threadpool(sessions.claim, engine, code or "", session.now())
        if token is None:
            return JSONResponse({"ok": False}, status_code=400)
        response = JSONResponse({"ok": True}, headers=NO_STORE)
        max_age = int(session.max_session().total_seconds())
        response.set_cookie(session.COOKIE_NAME, token, max_age=max_age, **_flags(request, path))
        return response

    async def sign_out(request: Request) -> Response:
        if not same_origin(request):
            return JSONResponse({"ok": False}, status_code=403)
        token = request.cookies.get(session.COOKIE_NAME)
        if token:
            engine = engine_for(database_url())
            await run_in_threadpool(sessions.end_by_token, engine, token, "sign_out", session.now())
        response = JSONResponse({"ok": True}, headers=NO_STORE)
        response.delete_cookie(session.COOKIE_NAME, **_flags(request, path))
        return response

    return [
        Route(f"{path}{session.CLAIM_PATH}", claim, methods=["POST"]),
        Route(f"{path}{session.SIGN_OUT_PATH}", sign_out, methods=["POST"]),
    ]
