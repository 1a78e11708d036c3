"""The one cached SQLAlchemy Engine (connection pool) per database URL in this server process.

Its own module, below both components/db.py (the cached queries and the scope guard) and the
sign-in modules (components/session.py and the rest), which all need an engine: the guard in
db.py asks who is signed in, so sign-in must not import db.py back.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from data.db import make_engine


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    """The one Engine (connection pool) for this URL in this server process."""
    return make_engine(url)
