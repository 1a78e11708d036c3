"""Validating every row before anything is written.

Per cell: the parsers (data/load/parsing.py) turn text into values; then what a single column
can tell (`column_checks`: required cells filled, numbers in range, text not too long, dates
not in the future, region codes that exist at the right level, references to records that
exist); then the checks across columns and rows (data/load/checks.py): the level a staff role
needs, dates that run backwards, a closed case without a closing date, a birth date or gender
that contradicts the ID number, duplicate keys in the file, an ID number already registered to
another child. Each rule is written once, next to its Chinese message; every problem carries
its sheet, row, column, value and that message. A cell keeps its first problem only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, select

from data import schema as s
from data.load.checks import (
    Lookups,
    Report,
    cross_checks,
    duplicates,
    level_of_code,
    nulls,
    parent_of_code,
    short_code,
)
from data.load.errors import Problem
from data.load.headers import (
    ColumnMap,
    is_footer_row,
    is_header_cell,
    is_numbering_row,
    row_score,
)
from data.load.parsing import cell_text, cells, parse_column, parse_id_number
from data.load.reading import Grid, to_frame
from data.load.specs import (
    DATE,
    INT,
    LEVEL_DIGITS,
    LEVEL_NAMES,
    MONEY,
    REF,
    REGION,
    SPECS,
    TEXT,
    Spec,
)

EARLIEST = date(1900, 1, 1)
IN_SCHOOL_STAGES = {"kindergarten", "primary", "junior", "senior", "vocational"}
_REF_TITLES = {"children": "儿童", "staff": "人员", "children_homes": "儿童之家", "cases": "个案"}


def load_lookups(conn: Connection, spec: Spec, cmap: ColumnMap) -> Lookups:
    regions = dict(conn.execute(select(s.regions.c.code, s.regions.c.level)).all())
    out = Lookups(regions)
    for f in spec.fields:
        if f.type == REF and (f.name in cmap.fields or f.name in cmap.alt):
            t = s.metadata.tables[f.ref]
            out.ids[f.ref] = set(conn.execute(select(t.c.id)).scalars())
    needs_id_map = bool(cmap.alt) or (spec.kind == "children" and "id_number" in cmap.fields)
    if needs_id_map:
        c = s.children.c
        out.child_by_id_number = dict(
            conn.execute(select(c.id_number, c.id).where(c.id_number.is_not(None))).all()
        )
    if spec.kind == "children":
        out.ids["children"] = set(conn.execute(select(s.children.c.id)).scalars())
    return out


@dataclass
class Checked:
    """The typed rows (index = spreadsheet row number, columns = table columns present)."""

    frame: pd.DataFrame
    problems: list[Problem]
    notes: list[str]
    rows_in: int


def data_rows(
    spec: Spec, grid: Grid, cmap: ColumnMap, example: dict[str, str]
) -> tuple[pd.DataFrame, list[str]]:
    """The rows under the header, without a numbering row, sign-off lines, repeated header
    rows and the template's example row (each skip is noted)."""
    notes: list[str] = []
    rows, numbers = grid.rows[cmap.data_start :], grid.row_numbers[cmap.data_start :]
    keep_rows, keep_numbers = [], []
    first_col = min(cmap.fields.values(), default=0)
    wanted = [(j, example[name]) for name, j in cmap.fields.items() if example.get(name)]
    for i, (row, n) in enumerate(zip(rows, numbers, strict=True)):
        if i == 0 and is_numbering_row(row):
            notes.append(f"第{n}行是列序号行，已跳过。")
            continue
        if is_footer_row(row):
            notes.append(f"第{n}行是落款或合计行，已跳过。")
            continue
        lead = row[first_col] if first_col < len(row) else None
        if is_header_cell(spec, lead) and row_score(spec, row) >= max(2, len(cmap.fields) // 2):
            notes.append(f"第{n}行是重复的表头，已跳过。")
            continue
        if wanted and all(cell_text(row[j] if j < len(row) else None) == ex for j, ex in wanted):
            notes.append(f"第{n}行是模板示例行，已跳过。")
            continue
        keep_rows.append(row)
        keep_numbers.append(n)
    width = max([*cmap.fields.values(), *cmap.alt.values(), -1]) + 1
    return to_frame(keep_rows, keep_numbers, width), notes


def validate(
    spec: Spec, grid: Grid, cmap: ColumnMap, lookups: Lookups, today: date, example: dict[str, str]
) -> Checked:
    raw, notes = data_rows(spec, grid, cmap, example)
    rep = Report(spec, grid, cmap, raw)
    df = pd.DataFrame(index=raw.index)
    for name, j in cmap.fields.items():
        values, msgs = parse_column(spec.by_name(name), raw[j], cmap.scale.get(name, 1), grid.epoch)
        df[name] = values
        for row, m in msgs.dropna().items():
            rep.add(row, name, m)
    _derive(spec, df, raw, cmap, lookups, rep)
    column_checks(spec, df, lookups, today, rep)
    cross_checks(spec, df, lookups, rep)
    duplicates(spec, df, rep)
    rep.problems.sort(key=lambda p: (p.row or 0, len(p.letter), p.letter))
    return Checked(df, rep.problems, notes, len(df))


def _derive(
    spec: Spec, df: pd.DataFrame, raw: pd.DataFrame, cmap: ColumnMap, lk: Lookups, rep: Report
) -> None:
    """Values the ledger implies: a child's category from its type, in_school from the
    school stage, a region's level and parent from its code, a child id from an ID number;
    national 12-digit codes of townships and counties (…000) shortened to ours."""
    for f in spec.fields:
        if f.type == REGION and f.name in df and spec.kind != "regions":
            df[f.name] = cells(df[f.name], lambda c: short_code(c, lk.region_level))
    if spec.kind == "children":
        lb = df.get("left_behind_type", nulls(df.index))
        dt = df.get("difficulty_type", nulls(df.index))
        implied = nulls(df.index).mask(dt.notna(), "difficulty").mask(lb.notna(), "left_behind")
        if "category" not in df:
            df["category"] = implied
        else:
            blank = df["category"].isna() & ~df.index.isin(
                [r for r, n in rep.bad if n == "category"]
            )
            df.loc[blank, "category"] = implied[blank]
        if "school_stage" in df and "in_school" not in df:
            df["in_school"] = cells(
                df["school_stage"], lambda v: None if v is None else v in IN_SCHOOL_STAGES
            )
    if spec.kind == "regions":
        if "level" not in df:
            df["level"] = None
        guess = cells(df["code"], level_of_code)
        df["level"] = df["level"].where(df["level"].notna(), guess)
        if "parent_code" not in df:
            df["parent_code"] = None
        parent = cells(df["code"], parent_of_code)
        df["parent_code"] = df["parent_code"].where(df["parent_code"].notna(), parent)
    for name, (_headers, _col) in spec.alt_refs.items():
        if name not in cmap.alt:
            continue
        ids, msgs = parse_id_number(raw[cmap.alt[name]])
        for row, m in msgs.dropna().items():
            rep.add(row, name, m)
        resolved = cells(ids, lambda n: None if n is None else lk.child_by_id_number.get(n))
        missing = ids.notna() & resolved.isna()
        rep.add_mask(missing, name, "该身份证号的儿童尚未登记，请先导入儿童信息台账")
        if name in df:
            df[name] = df[name].where(df[name].notna(), resolved)
        else:
            df[name] = resolved


def column_checks(spec: Spec, df: pd.DataFrame, lk: Lookups, today: date, rep: Report) -> None:
    """The rules one column's cells follow on their own. Blank cells only break 必填; a cell
    that did not parse is blank here and keeps its parser's message."""
    for f in spec.fields:
        if f.name not in df:
            continue
        name, v = f.name, df[f.name].dropna()
        if f.required and not (spec.kind == "children" and name == "id"):
            also = "（或填写留守类型/困境类型）" if name == "category" else ""
            rep.add_mask(df[name].isna(), name, f"必填项不能为空{also}")
        if f.type in (INT, REF) and f.lo is not None:
            hi = f.hi if f.hi is not None else 2**31 - 1
            rep.add_mask(~v.between(f.lo, hi), name, f"须为 {f.lo:,} 到 {hi:,} 之间的整数")
        if f.type == MONEY:
            rep.add_mask(~v.between(0, 10**12), name, "金额须为不小于0的数")
        if f.type == TEXT and f.max_len:
            rep.add_mask(v.map(len) > f.max_len, name, f"内容过长（最多{f.max_len}字）")
        if f.type == DATE:
            rep.add_mask(v < EARLIEST, name, "日期早于1900年，请核对")
            if not f.future_ok:
                rep.add_mask(v > today, name, f"日期晚于今天（{today.isoformat()}），请核对")
        if f.type == REGION and spec.kind != "regions":
            level = v.map(lk.region_level.get)
            rep.add_mask(level.isna(), name, "区划代码在系统中不存在")
            if f.levels:
                wrong = level[level.notna() & ~level.isin(f.levels)]
                for row, actual in wrong.items():
                    rep.add(row, name, _level_message(f.levels, actual))
        if f.type == REF and f.ref in lk.ids:
            what, title = _REF_TITLES.get(f.ref, ""), SPECS[f.ref].title
            rep.add_mask(
                ~v.isin(lk.ids[f.ref]),
                name,
                f"编号为该值的{what}在系统中不存在，请先导入{title}台账",
            )


def _level_message(levels: tuple[str, ...], actual: str | None) -> str:
    want = "或".join(f"{LEVEL_NAMES[lv]}级" for lv in levels)
    digits = "、".join(sorted({f"{LEVEL_DIGITS[lv]}位" for lv in levels}))
    got = f"，该代码是{LEVEL_NAMES.get(actual, actual)}级" if actual else ""
    return f"应填写{want}区划代码（{digits}）{got}"
