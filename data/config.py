"""Where the database is and which province is served: the environment (validated by
core/settings.py `Environment`) and `.streamlit/secrets.toml`.

Nothing else in the code base hard-wires the province or the database location.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from core.settings import environment

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = REPO_ROOT / "data" / "reporting.db"
DEFAULT_DB_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"
SECRETS_PATH = REPO_ROOT / ".streamlit" / "secrets.toml"


def province_code() -> str:
    """The province the dashboard serves (`PROVINCE_CODE`, default Jiangxi 360000)."""
    return environment().province_code


def _secrets_url(path: Path = SECRETS_PATH) -> str | None:
    if not path.exists():
        return None
    with path.open("rb") as fh:
        secrets = tomllib.load(fh)
    return secrets.get("connections", {}).get("reporting", {}).get("url")


def database_url() -> str:
    """`REPORTING_DB_URL`, else `[connections.reporting] url` in secrets.toml, else the demo DB."""
    return environment().reporting_db_url or _secrets_url() or DEFAULT_DB_URL


def is_default_demo_url(url: str) -> bool:
    return url == DEFAULT_DB_URL
