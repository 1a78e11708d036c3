"""Import defects of issue 19, each reproduced first: a reused 编号 that would replace another
county's record (19.1). On SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd

from data.load import import_file
from tests.fixtures.ledgers import (
    TODAY,
    children_ledger,
    idn,
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
