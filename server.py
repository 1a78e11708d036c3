"""The served app: app.py (the Streamlit script) behind `st.App`, which adds the sign-in
cookie's routes and the guard on file downloads (components/session_http.py), and warms the
province-level caches in the background once the server is up (components/warmup.py; set
WARM_CACHES=0 to skip). `make run` starts this file with `streamlit run server.py`; an ASGI
server can also take it (`uvicorn server:app`). AppTest and the page tests run app.py
directly, without HTTP."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import streamlit as st
from starlette.middleware import Middleware

from components import warmup
from components.session_http import MediaGuard, routes
from data.config import database_url

BASE_PATH = st.get_option("server.baseUrlPath") or ""


@contextlib.asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    """After Streamlit's runtime has started (its caches are the sessions' caches)."""
    if os.environ.get("WARM_CACHES", "1") != "0":
        warmup.warm_in_background(database_url())
    yield


app = st.App(
    "app.py",
    routes=routes(BASE_PATH),
    middleware=[Middleware(MediaGuard, base_path=BASE_PATH)],
    lifespan=lifespan,
)
