"""Helpers for AppTest runs of the whole app (app.py → st.navigation → a page)."""

from __future__ import annotations

import os

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from data.config import REPO_ROOT

APP = str(REPO_ROOT / "app.py")


def pin_navigation_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest resets `PagesManager.uses_pages_directory` before every run, so with a pages/
    folder each rerun would execute the page file alone (the pre-st.navigation behaviour)
    instead of app.py. A served app sets the flag to False at its first st.navigation call
    and keeps it; pin it to that steady state."""
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def run_app(url: str, page: str | None = None, timeout: float = 60, **query_params: str) -> AppTest:
    """Run app.py on the database at `url`; `page` is a pages/ file to switch to
    (e.g. "pages/homes.py"), query_params go into the URL."""
    os.environ["REPORTING_DB_URL"] = url
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in query_params.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at
