"""The served app: app.py (the Streamlit script) behind `st.App`, which adds the sign-in
cookie's routes and the guard on file downloads (components/session_http.py). `make run` starts this file with
`streamlit run server.py`; an ASGI server can also take it (`uvicorn server:app`).
AppTest and the page tests run app.py directly, without HTTP."""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from components.session_http import MediaGuard, routes

BASE_PATH = st.get_option("server.baseUrlPath") or ""

app = st.App(
    "app.py",
    routes=routes(BASE_PATH),
    middleware=[Middleware(MediaGuard, base_path=BASE_PATH)],
)
