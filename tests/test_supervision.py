"""督办 (issue 17): the tables, the actions of data/supervision.py and the queries of
queries/supervision.py, on SQLite and PostgreSQL, on a hand-built tree:

    江西省 360000
    ├── 南昌市 360100: 东湖区 360102, 西湖区 360103
    └── 赣州市 360700: 瑞金市 360781
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect


def test_migration_creates_the_supervision_tables(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"supervision_tasks", "supervision_events"} <= tables
    task_columns = {c["name"] for c in inspect(engine).get_columns("supervision_tasks")}
    assert {"region_code", "metric", "gap_at_issue", "requirement", "deadline", "status"} <= (
        task_columns
    )
