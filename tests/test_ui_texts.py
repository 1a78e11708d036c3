"""No internal names in what a user reads (issue 18.2): the Chinese texts of pages/ and
components/ (labels, help tooltips, captions, slide and Word texts) never name a file or a
table of the implementation. Read from the source: every string literal that holds Chinese
(docstrings and comments are for developers and are skipped)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
INTERNAL = re.compile(r"settings\.toml|kpi_snapshots|app_meta|import_batches|\.py\b")


def chinese_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and CJK.search(node.value)
    ]


def test_no_internal_names_in_user_texts():
    found = [
        f"{path.relative_to(REPO)}:{line}: {text[:60]}"
        for folder in ("pages", "components")
        for path in sorted((REPO / folder).rglob("*.py"))
        for line, text in chinese_literals(path)
        if INTERNAL.search(text)
    ]
    assert found == []


def test_the_check_finds_an_internal_name(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text('"""文档 settings.toml"""\nst.caption("口径见 settings.toml")\n', "utf-8")
    assert [line for line, t in chinese_literals(sample) if INTERNAL.search(t)] == [2]
