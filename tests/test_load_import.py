"""Importer, loading: one transaction, idempotent re-import, a newer ledger updates the
changed rows, the rollup follows (kpi_snapshots values change as hand-derived), the
national registration form's headings load children keyed by ID number, regions import,
and the CLI's exit codes. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
from sqlalchemy import func, select

from data import schema as s
from data.load import import_file
from data.load.__main__ import main as cli
from tests.fixtures.ledgers import (
    TODAY,
    children_ledger,
    csv_bytes,
    idn,
    kpi,
    table_digest,
    xlsx_bytes,
)


def load(engine, kind, df, name=None, **kw):
    name = name or f"{kind}.xlsx"
    data = xlsx_bytes(df) if name.endswith(".xlsx") else csv_bytes(df)
    return import_file(engine, kind, data, name, user="admin", today=TODAY, **kw)


def active_children(engine, period):
    """children_active (numerator, denominator) of 东湖区, 青山湖区 and the province."""
    return [kpi(engine, code, period, "children_active") for code in ("360102", "360111", "360000")]


def children_rows(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(
            [dict(r) for r in conn.execute(select(s.children).order_by(s.children.c.id)).mappings()]
        )


def test_first_import_fills_the_rollup(tree):
    result = load(tree, "children", children_ledger())
    assert (result.status, result.inserted, result.updated, result.unchanged) == ("loaded", 4, 0, 0)
    assert result.rollup == "full"  # no snapshot yet
    # Months run from the first registration (2025-01) to the last start date (2025-04).
    with tree.connect() as conn:
        periods = conn.execute(
            select(func.min(s.kpi_snapshots.c.period), func.max(s.kpi_snapshots.c.period))
        ).one()
    assert tuple(periods) == ("2025-01", "2025-04")
    assert active_children(tree, "2025-04") == [(3, None), (1, None), (4, None)]
    assert kpi(tree, "360102", "2025-04", "children_difficulty") == (1, None)
    assert kpi(tree, "360102", "2025-02", "children_active") == (2, None)


def test_reimport_is_idempotent(tree):
    data = xlsx_bytes(children_ledger(), title="儿童台账")
    first = import_file(tree, "children", data, "a.xlsx", today=TODAY)
    assert first.status == "loaded"
    before = table_digest(tree, skip=("import_batches", "audit_log", "app_meta"))
    again = import_file(tree, "children", data, "a.xlsx", today=TODAY)
    assert (again.status, again.rows_in, again.rows_loaded) == ("loaded", 4, 4)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert again.rollup == ""  # nothing changed, nothing to refresh
    assert table_digest(tree, skip=("import_batches", "audit_log", "app_meta")) == before
    # The same rows from a CSV with another spelling of the same values change nothing either.
    df = children_ledger()
    df["性别"] = df["性别"].map({"男": "M", "女": "F"})
    df["登记日期"] = ["2025.1.10", "2025年2月1日", "20250315", "2025/4/1"]
    third = load(tree, "children", df, "a.csv")
    assert (third.inserted, third.updated, third.unchanged) == (0, 0, 4)
    assert table_digest(tree, skip=("import_batches", "audit_log", "app_meta")) == before


def test_newer_ledger_updates_changed_rows_and_the_rollup(tree):
    load(tree, "children", children_ledger())
    assert kpi(tree, "360102", "2025-03", "children_active") == (3, None)
    newer = children_ledger()
    newer.loc[1, "退出日期"] = "2025-03-20"  # 李小红 leaves in March
    # 王小刚 moves within 东湖区 (三村 → 一村); a move to another county is refused
    # (tests/test_import_defects.py).
    newer.loc[2, "村（社区）代码"] = "360102001001"
    newer.loc[0, "姓名"] = "张小明"  # unchanged
    result = load(tree, "children", newer)
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 2)
    assert result.rollup == "since 2025-02"  # earliest registration date among the changed rows
    got = children_rows(tree)
    assert got.loc[1, "exited_on"] == date(2025, 3, 20)
    assert got.loc[2, "village_code"] == "360102001001"
    # Hand-derived: 2025-03 东湖区 had 张小明, 李小红, 王小刚; 李小红 left on 03-20.
    assert kpi(tree, "360102", "2025-03", "children_active") == (2, None)
    # 2025-04: 张小明 and 王小刚 (in 一村 now) in 东湖区; 赵小丽 in 青山湖区.
    assert active_children(tree, "2025-04") == [(2, None), (1, None), (3, None)]
    # Months before the touched range were not rewritten and are still right.
    assert kpi(tree, "360102", "2025-01", "children_active") == (1, None)


def test_a_later_month_extends_the_snapshot(tree):
    load(tree, "children", children_ledger())
    visits = pd.DataFrame(
        {
            "编号": [1, 2],
            "儿童编号": [1, 4],
            "探访日期": ["2025-06-10", "2025-06-11"],
            "探访方式": ["入户走访", "电话探访"],
        }
    )
    result = load(tree, "visits", visits)
    assert result.status == "loaded" and result.rollup == "since 2025-05"
    assert kpi(tree, "360102", "2025-05", "children_active") == (3, None)
    # Active in June: 张小明, 李小红, 王小刚 in 东湖区 (张小明 visited), 赵小丽 in 青山湖区 (visited).
    assert kpi(tree, "360102", "2025-06", "visit_rate_90d") == (1, 3)
    assert kpi(tree, "360111", "2025-06", "visit_rate_90d") == (1, 1)


def test_national_registration_form_headings(tree):
    form = pd.DataFrame(
        {
            "序号": [1, 2],
            "姓名": ["陈小雨", "刘小林"],
            "性别": ["女", "男"],
            "民族": ["汉族", "汉族"],
            "身份证号": [idn("360102", "20140909", 2), idn("360111", "20130101", 1)],
            "出生日期": ["2014-09-09", "2013-01-01"],
            "现居住地": ["江西省南昌市东湖区公园街道一村（360102001001）", "360111001001"],
            "健康状况": ["健康", "残疾"],
            "就学情况": ["小学在读", "辍学"],
            "留守类型": ["父母双方外出务工", None],
            "困境类型": [None, "自身残疾或重病"],
            "监护类型": ["祖父母监护", "父母一方监护"],
            "委托监护人姓名/关系": ["陈大山/祖父", None],
            "家庭主要收入来源": ["务工", "低保"],
            "已获帮扶": ["是", "是"],
            "录入日期": ["2025-05-06", "2025-05-07"],
        }
    )
    result = load(tree, "children", form, "全国儿童信息系统导出.csv")
    assert result.status == "loaded", [p.line() for p in result.errors]
    assert result.inserted == 2
    assert any("民族" in n and "家庭主要收入来源" in n for n in result.notes)
    got = children_rows(tree)
    assert list(got["id"]) == [1, 2]
    assert list(got["village_code"]) == ["360102001001", "360111001001"]
    assert list(got["category"]) == ["left_behind", "difficulty"]
    assert list(got["guardian_type"]) == ["grandparent", "parent"]
    assert list(got["school_stage"]) == ["primary", "dropped_out"]
    assert list(got["in_school"]) == [True, False]
    # Re-imported, the rows are found by their ID numbers: nothing new.
    again = load(tree, "children", form, "全国儿童信息系统导出.csv")
    assert again.status == "loaded", [p.line() for p in again.errors]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    # A later export with one more child and one change: ids continue after the largest.
    form.loc[2] = form.loc[0]
    form.loc[2, ["姓名", "身份证号", "出生日期"]] = [
        "陈小凤",
        idn("360102", "20150202", 4),
        "2015-02-02",
    ]
    form.loc[1, "健康状况"] = "健康"
    later = load(tree, "children", form, "全国儿童信息系统导出.csv")
    assert later.status == "loaded", [p.line() for p in later.errors]
    assert (later.inserted, later.updated, later.unchanged) == (1, 1, 1)
    got = children_rows(tree)
    assert list(got["id"]) == [1, 2, 3] and got.loc[1, "health_status"] == "healthy"
    # Visits may name the child by ID number instead of 编号.
    visits = pd.DataFrame(
        {"编号": [7], "儿童身份证号": [idn("360111", "20130101", 1)], "探访日期": ["2025-06-01"]}
    )
    assert load(tree, "visits", visits).status == "loaded"
    with tree.connect() as conn:
        assert conn.execute(select(s.visits.c.child_id)).scalar_one() == 2


def test_regions_import_adds_a_village_and_refreshes_everything(tree):
    load(tree, "children", children_ledger())
    assert kpi(tree, "360111", "2025-04", "home_coverage") == (0, 1)
    regions = pd.DataFrame({"区划代码": ["360111001002"], "名称": ["五村"], "类型": ["社区"]})
    result = load(tree, "regions", regions)
    assert (result.status, result.inserted, result.rollup) == ("loaded", 1, "full")
    with tree.connect() as conn:
        row = (
            conn.execute(select(s.regions).where(s.regions.c.code == "360111001002"))
            .mappings()
            .one()
        )
    assert (row["level"], row["parent_code"], row["kind"]) == ("village", "360111001", "community")
    assert kpi(tree, "360111", "2025-04", "home_coverage") == (0, 2)
    orphan = pd.DataFrame({"区划代码": ["360111009001"], "名称": ["无主村"]})
    bad = load(tree, "regions", orphan)
    assert [(p.row, p.column, p.message) for p in bad.errors] == [
        (2, "上级区划代码", "上级区划在系统和本文件中都不存在")
    ]


def test_cli_exit_codes_and_chinese_errors(tree, tmp_path, capsys):
    url = tree.url.render_as_string(hide_password=False)
    good = tmp_path / "儿童.xlsx"
    good.write_bytes(xlsx_bytes(children_ledger()))
    assert cli(["--kind", "children", str(good), "--url", url, "--user", "县管理员"]) == 0
    out = capsys.readouterr().out
    assert "导入成功：共 4 行，新增 4 行" in out
    bad_df = children_ledger()
    bad_df.loc[2, "性别"] = "未知"
    bad = tmp_path / "坏.csv"
    bad.write_bytes(csv_bytes(bad_df, "gbk"))
    assert cli(["--kind", "children", str(bad), "--url", url]) == 1
    out = capsys.readouterr().out
    assert "第4行F列「性别」 值“未知”：不是有效选项，可选：女、男" in out
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(b"not a zip at all")
    assert cli(["--kind", "children", str(bomb), "--url", url]) == 1
    assert "不是有效的 .xlsx" in capsys.readouterr().out
    with tree.connect() as conn:
        rows = conn.execute(
            select(s.import_batches.c.status, s.import_batches.c.imported_by).order_by(
                s.import_batches.c.id
            )
        ).all()
        audits = conn.execute(
            select(s.audit_log.c.action, s.audit_log.c.target).order_by(s.audit_log.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("loaded", "县管理员"),
        ("rejected", None),
        ("refused", None),
    ]
    assert [a for a, _t in audits] == ["import"] * 3
    assert audits[0][1].startswith("children:儿童.xlsx:loaded")
    payload = json.loads(_last_errors(tree))
    assert payload["error_count"] == 1 and payload["errors"][0]["message"].startswith(
        "文件不是有效的 .xlsx"
    )


def _last_errors(engine) -> str:
    b = s.import_batches
    with engine.connect() as conn:
        return conn.execute(select(b.c.errors_json).order_by(b.c.id.desc()).limit(1)).scalar_one()


def test_a_failure_while_writing_rolls_everything_back(tree, monkeypatch):
    """All or nothing: the rows already written are undone when a later statement fails."""
    from sqlalchemy.exc import OperationalError

    from data.load import write

    original = write.apply

    def apply_then_fail(conn, spec, plan):
        original(conn, spec, plan)  # every row is in (inside the transaction) …
        assert conn.execute(select(func.count()).select_from(s.children)).scalar_one() == 4
        raise OperationalError("UPDATE …", {}, Exception("server closed the connection"))

    monkeypatch.setattr(write, "apply", apply_then_fail)
    before = table_digest(tree)
    result = load(tree, "children", children_ledger())
    assert (result.status, result.rows_loaded, result.inserted) == ("failed", 0, 0)
    assert "已全部撤销" in result.errors[0].message
    assert table_digest(tree) == before  # … and none is left
    with tree.connect() as conn:
        assert conn.execute(select(s.import_batches.c.status)).scalars().all() == ["failed"]


def test_an_unforeseen_error_is_reported_not_raised(tree, monkeypatch):
    from data.load import core

    def broken(*_a, **_k):
        raise RuntimeError("a cell type nobody expected")

    monkeypatch.setattr(core, "validate", broken)
    before = table_digest(tree)
    result = load(tree, "children", children_ledger())
    assert result.status == "failed"
    assert result.errors[0].message.startswith("读取或校验文件时出现意外错误")
    assert table_digest(tree) == before


def test_limits_from_the_environment(monkeypatch):
    from data.load import Limits

    monkeypatch.setenv("LOAD_MAX_FILE_MB", "2.5")
    monkeypatch.setenv("LOAD_MAX_ROWS", "1000")
    assert (Limits.from_env().max_bytes, Limits.from_env().max_rows) == (2_621_440, 1000)
    monkeypatch.setenv("LOAD_MAX_FILE_MB", "很多")
    monkeypatch.setenv("LOAD_MAX_ROWS", "-5")
    assert (Limits.from_env().max_bytes, Limits.from_env().max_rows) == (20 * 1024 * 1024, 200_000)
