"""The README's commands work as written on a fresh machine (issue 18.7): a plain
`python -m data.users …` runs outside the virtual env and fails (no streamlit, no
sqlalchemy there), so every module command the README and the sign-in page show runs the
venv's interpreter; `make run PORT=…` is documented; the Makefile honours PORT."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE = re.compile(r"(?<![/\w.])python3? -m (?:data|bench)\.")


def test_readme_commands_use_the_venv_python():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/python -m data.users" in text
    assert BARE.findall(text) == []


def test_sign_in_page_hints_use_the_venv_python():
    text = (ROOT / "components" / "signin.py").read_text(encoding="utf-8")
    assert ".venv/bin/python -m data.users reset" in text
    assert BARE.findall(text) == []


def test_make_run_port_is_documented_and_used():
    assert "make run PORT=" in (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "PORT ?=" in makefile and "PORT=$(PORT)" in makefile
