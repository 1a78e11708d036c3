"""Ledger imports (DESIGN.md §7): templates, reading, validation and loading of the raw tables.

    from data.load import import_file, template_bytes, KINDS
    result = import_file(engine, "children", "台账.xlsx", user="admin")
    result.ok, result.summary(), result.errors  # Problem(sheet, row, column, value, message)

CLI: python -m data.load --kind KIND FILE --url URL [--user NAME] [--check]
"""

from data.load.core import import_file
from data.load.errors import BATCH_STATUS, ImportResult, Problem
from data.load.reading import Limits
from data.load.specs import KINDS, SPECS, TITLES
from data.load.templates import template_bytes
from data.load.write import catch_up, rollup_behind

__all__ = [
    "BATCH_STATUS",
    "KINDS",
    "SPECS",
    "TITLES",
    "ImportResult",
    "Limits",
    "Problem",
    "catch_up",
    "import_file",
    "rollup_behind",
    "template_bytes",
]
