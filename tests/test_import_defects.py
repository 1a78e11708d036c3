"""Import defects of issue 19, each reproduced first: a reused 编号 that would replace another
county's record (19.1), raw ID numbers in import_batches.errors_json and the CLI's output
(19.9), a crash between an import's commit and its rollup refresh (19.7). On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from data import rollup
from data import schema as s
from data.load import catch_up, import_file, rollup_behind, write
from data.load.__main__ import main as cli
from data.rollup import main as rollup_cli
from tests.fixtures.ledgers import (
    TODAY,
    children_ledger,
    idn,
    kpi,
    staff_ledger,
    table_digest,
    table_rows,
    xlsx_bytes,
)


def load(engine, kind, df, **kw):
    return import_file(
        engine, kind, xlsx_bytes(df), f"{kind}.xlsx", user="admin", today=TODAY, **kw
    )


def visits_ledger() -> pd.DataFrame:
    return pd.DataFrame(
        {"编号": [1, 2], "儿童编号": [1, 4], "探访日期": ["2025-06-10", "2025-06-11"]}
    )


def where(result) -> list[tuple[int | None, str, str]]:
    """(row, letter, column) of each problem."""
    return [(p.row, p.letter, p.column) for p in result.errors]


# ---------------------------------------------------------------- 19.1 reused keys


def another_child(key: int) -> pd.DataFrame:
    """A child of 青山湖区 nobody has registered, given the 编号 `key` of an existing one."""
    df = children_ledger().iloc[:1].copy()
    df.loc[0] = [
        key,
        "360111001001",
        "留守儿童",
        "父母均外出务工",
        "孙小芳",
        "女",
        "2017-05-06",
        idn("360111", "20170506", 82),
        "2025-05-01",
        None,
    ]
    return df


def test_a_reused_key_cannot_replace_a_child_of_another_county(tree):
    assert load(tree, "children", children_ledger()).status == "loaded"
    assert load(tree, "visits", visits_ledger()).status == "loaded"
    before = table_digest(tree)
    # 编号 1 is 张小明 of 东湖区; the row is another child, of 青山湖区.
    result = load(tree, "children", another_child(1))
    assert result.status == "rejected"
    # Both the ID number and the county differ from the stored child: each named by cell.
    assert where(result) == [(2, "B", "村（社区）代码"), (2, "H", "身份证号")]
    county, number = (p.message for p in result.errors)
    assert "编号为 1 的儿童" in county and "东湖区" in county and "青山湖区" in county
    assert "编号为 1 的儿童" in number and "身份证号" in number
    # Nothing changed: 张小明 keeps his name, ID number and county, and his visits.
    assert table_digest(tree) == before
    child = table_rows(tree, "children").set_index("id").loc[1]
    assert (child["name"], child["village_code"]) == ("张小明", "360102001001")


def test_a_reused_key_with_another_id_number_is_refused_within_the_county(tree):
    load(tree, "children", children_ledger())
    df = another_child(2)
    df.loc[0, "村（社区）代码"] = "360102001002"  # 李小红's village, another child's ID number
    df.loc[0, "身份证号"] = idn("360102", "20170506", 82)
    result = load(tree, "children", df, dry_run=True)
    assert result.status == "rejected"
    assert where(result) == [(2, "H", "身份证号")]
    assert table_rows(tree, "children").set_index("id").loc[2, "name"] == "李小红"


def test_a_child_is_never_moved_to_another_county(tree):
    """Same child (same ID number), moved to 东湖区: refused, whether the row gives the 编号
    or only the ID number (the key found by it)."""
    load(tree, "children", children_ledger())
    before = table_digest(tree)
    moved = children_ledger().iloc[3:].copy()
    moved["村（社区）代码"] = "360102002001"
    result = load(tree, "children", moved)
    assert result.status == "rejected"
    assert where(result) == [(2, "B", "村（社区）代码")]
    unnumbered = moved.drop(columns=["编号"])
    again = load(tree, "children", unnumbered)
    assert again.status == "rejected"
    assert where(again) == [(2, "A", "村（社区）代码")]
    assert table_digest(tree) == before


def test_corrections_within_the_county_still_update(tree):
    load(tree, "children", children_ledger())
    fixed = children_ledger()
    fixed.loc[0, "姓名"] = "张晓明"  # a corrected name
    fixed.loc[2, "村（社区）代码"] = "360102001001"  # 王小刚 moves within 东湖区
    result = load(tree, "children", fixed)
    assert (result.status, result.updated, result.unchanged) == ("loaded", 2, 2)
    got = table_rows(tree, "children").set_index("id")
    assert (got.loc[1, "name"], got.loc[3, "village_code"]) == ("张晓明", "360102001001")


def test_a_reused_visit_key_cannot_move_to_a_child_of_another_county(tree):
    load(tree, "children", children_ledger())
    load(tree, "visits", visits_ledger())
    before = table_digest(tree)
    df = visits_ledger().iloc[:1].copy()
    df.loc[0, "儿童编号"] = 4  # visit 1 belongs to 张小明 (东湖区); 4 is 赵小丽 (青山湖区)
    result = load(tree, "visits", df)
    assert result.status == "rejected"
    assert where(result) == [(2, "B", "儿童编号")]
    assert "东湖区" in result.errors[0].message and "青山湖区" in result.errors[0].message
    assert table_digest(tree) == before
    # Another child of the same county is a correction: 编号 1 → child 2 (东湖区).
    df.loc[0, "儿童编号"] = 2
    assert load(tree, "visits", df).updated == 1


def test_a_staff_key_is_not_reused_across_counties(tree):
    load(tree, "staff", staff_ledger())
    df = staff_ledger().iloc[:1].copy()
    df.loc[0, ["岗位", "所在区划代码"]] = ["儿童督导员", "360111001"]
    result = load(tree, "staff", df)
    assert result.status == "rejected"
    assert where(result) == [(2, "C", "所在区划代码")]
    assert table_rows(tree, "staff").set_index("id").loc[1, "region_code"] == "360102001"


# ---------------------------------------------------------------- 19.9 ID numbers at rest


ID_SHAPED = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])|(?<![0-9])[0-9]{15}(?![0-9])")


def bad_id_ledgers() -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """A children ledger with a wrong check digit and an ID number typed into 出生日期, and a
    visits ledger naming an unregistered child by ID number; and those two numbers."""
    wrong = idn("360102", "20160701", 22)[:17] + "0"
    stray = idn("360102", "20121212", 33)
    unknown = idn("360111", "20190101", 7)
    df = children_ledger()
    df.loc[1, "身份证号"] = wrong
    df.loc[2, "出生日期"] = stray
    visits = pd.DataFrame({"编号": [9], "儿童身份证号": [unknown], "探访日期": ["2025-06-10"]})
    return df, visits, stray, unknown


def stored_errors(engine) -> list[str]:
    b = s.import_batches
    with engine.connect() as conn:
        return list(conn.execute(select(b.c.errors_json).order_by(b.c.id)).scalars())


def test_stored_errors_keep_no_raw_id_number(tree):
    load(tree, "children", children_ledger().iloc[:1])
    df, visits, stray, unknown = bad_id_ledgers()
    assert load(tree, "children", df).status == "rejected"
    assert load(tree, "visits", visits).status == "rejected"
    stored = stored_errors(tree)
    assert [ID_SHAPED.findall(raw) for raw in stored] == [[], [], []]
    children, visits_errs = (json.loads(raw)["errors"] for raw in stored[1:])
    # The cell is still named (row, column) and shows the masked number.
    assert [(e["row"], e["column"], e["value"]) for e in children] == [
        (3, "身份证号", df.loc[1, "身份证号"][:4] + "*" * 10 + df.loc[1, "身份证号"][-4:]),
        (4, "出生日期", stray[:4] + "*" * 10 + stray[-4:]),
    ]
    assert [(e["row"], e["column"], e["value"]) for e in visits_errs] == [
        (2, "儿童身份证号", unknown[:4] + "*" * 10 + unknown[-4:])
    ]


def test_the_cli_prints_no_raw_id_number(tree, tmp_path, capsys):
    url = tree.url.render_as_string(hide_password=False)
    df, visits, _raw, _unknown = bad_id_ledgers()
    for kind, ledger in (("children", df), ("visits", visits)):
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(xlsx_bytes(ledger))
        assert cli(["--kind", kind, str(path), "--url", url]) == 1
        out = capsys.readouterr().out
        assert "身份证号" in out and ID_SHAPED.findall(out) == []


# ---------------------------------------------------------------- 19.7 rollup completion


class Crash(BaseException):
    """The process dying between the import's commit and its rollup refresh (not an
    Exception: nothing in the importer may catch it)."""


def crash(*_args, **_kw):
    raise Crash


def left_in_march() -> pd.DataFrame:
    """The ledger again with 李小红 (registered 2025-02-01) leaving on 2025-03-20."""
    df = children_ledger()
    df.loc[1, "退出日期"] = "2025-03-20"
    return df


def test_a_crash_before_the_rollup_is_caught_up_by_the_next_import(tree, monkeypatch):
    load(tree, "children", children_ledger())
    assert kpi(tree, "360102", "2025-03", "children_active") == (3, None)
    with monkeypatch.context() as m:
        m.setattr(write, "refresh_rollup", crash)
        with pytest.raises(Crash):
            load(tree, "children", left_in_march())
    # The rows are in, the snapshot is not, and the database knows which load it lacks.
    assert table_rows(tree, "children")["exited_on"].iloc[1] == date(2025, 3, 20)
    assert kpi(tree, "360102", "2025-03", "children_active") == (3, None)
    behind = rollup_behind(tree)
    assert len(behind) == 1
    # The same file again changes no row, but the refresh it lacked is done now, from the
    # earliest month the crashed load touched (李小红's registration, 2025-02).
    again = load(tree, "children", left_in_march())
    assert (again.status, again.inserted, again.updated, again.unchanged) == ("loaded", 0, 0, 4)
    assert again.rollup == "since 2025-02"
    assert any(f"#{behind[0]}" in n and "已补做刷新" in n for n in again.notes)
    assert kpi(tree, "360102", "2025-03", "children_active") == (2, None)  # 张小明, 王小刚
    assert rollup_behind(tree) == []
    # And nothing is pending for a third import.
    third = load(tree, "children", left_in_march())
    assert third.rollup == "" and "数据没有变化，无需刷新指标汇总。" in third.notes


def test_a_failed_refresh_stays_pending_until_caught_up(tree, monkeypatch):
    load(tree, "children", children_ledger())

    def fail(*_args, **_kw):
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(rollup, "refresh", fail)
        result = load(tree, "children", left_in_march())
    assert (result.status, result.rollup) == ("loaded", "failed")
    assert rollup_behind(tree) == [result.batch_id]
    assert kpi(tree, "360102", "2025-03", "children_active") == (3, None)
    assert catch_up(tree) == "since 2025-02"  # the data page's button
    assert kpi(tree, "360102", "2025-03", "children_active") == (2, None)
    assert rollup_behind(tree) == [] and catch_up(tree) == ""


def test_a_full_refresh_catches_up_every_pending_load(tree, monkeypatch):
    load(tree, "children", children_ledger())
    with monkeypatch.context() as m:
        m.setattr(write, "refresh_rollup", crash)
        with pytest.raises(Crash):
            load(tree, "children", left_in_march())
    assert rollup_behind(tree)
    # A refresh of some months only (--since/--until) leaves the marker: months after
    # --until were not refreshed.
    rollup.refresh(tree, since="2025-02", until="2025-03")
    assert rollup_behind(tree)
    assert rollup_cli(["--url", tree.url.render_as_string(hide_password=False)]) == 0
    assert rollup_behind(tree) == []
    assert kpi(tree, "360102", "2025-03", "children_active") == (2, None)
