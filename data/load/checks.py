"""The problem collector and the checks across columns and rows: the level a staff role
needs, dates that run backwards, a closed case without a closing date, a birth date or gender
that contradicts the ID number, a child without any key, an ID number already registered to
another child, a region whose parent is missing or at the wrong level, duplicate keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from data.load.enums import LEVEL_NAMES as _LEVEL_NAMES
from data.load.errors import Problem
from data.load.headers import ColumnMap
from data.load.idnumber import embedded_birth_date, embedded_gender
from data.load.parsing import text_of
from data.load.reading import Grid, column_letter
from data.load.specs import Spec

LEVEL_ORDER = ("province", "prefecture", "county", "township", "village")


@dataclass
class Lookups:
    """What validation needs from the database, read once per import."""

    region_level: dict[str, str]
    ids: dict[str, set[int]] = field(default_factory=dict)  # kind -> existing ids
    child_by_id_number: dict[str, int] = field(default_factory=dict)


def nulls(index: pd.Index) -> pd.Series:
    """A column of None (pd.Series(None, dtype=object) would hold NaN)."""
    return pd.Series([None] * len(index), index=index, dtype=object)


class Report:
    """Collects problems located by (row, table column)."""

    def __init__(self, spec: Spec, grid: Grid, cmap: ColumnMap, raw: pd.DataFrame) -> None:
        self.spec, self.sheet, self.cmap, self.raw = spec, grid.sheet, cmap, raw
        self.problems: list[Problem] = []
        self.bad: set[tuple[int, str]] = set()  # (row, field) already reported
        self._text: dict[int, pd.Series] = {}

    def where(self, name: str) -> tuple[str, str, int | None]:
        j = self.cmap.fields.get(name, self.cmap.alt.get(name))
        if j is None:
            f = next((f for f in self.spec.fields if f.name == name), None)
            return (f.header if f else name), "", None
        return self.cmap.headers.get(j, ""), column_letter(j), j

    def add(self, row: int, name: str, message: str, value: object = None) -> None:
        if (row, name) in self.bad:
            return
        self.bad.add((row, name))
        header, letter, j = self.where(name)
        if value is None and j is not None:
            if j not in self._text:
                self._text[j] = text_of(self.raw[j])
            value = self._text[j].get(row)
        shown = "" if value is None else str(value)
        self.problems.append(Problem(self.sheet, int(row), header, shown, message, letter, name))

    def add_mask(self, mask: pd.Series, name: str, message: str) -> None:
        for row in mask.index[mask.fillna(False).astype(bool)]:
            self.add(row, name, message)


def short_code(code: str | None, known: dict[str, str]) -> str | None:
    if code is None or code in known or len(code) != 12:
        return code
    if code.endswith("000000") and code[:6] in known:
        return code[:6]
    if code.endswith("000") and code[:9] in known:
        return code[:9]
    return code


def level_of_code(code: str | None) -> str | None:
    if code is None:
        return None
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


def parent_of_code(code: str | None) -> str | None:
    level = level_of_code(code)
    if level in (None, "province"):
        return None
    if level == "village":
        return code[:9]
    if level == "township":
        return code[:6]
    return code[:2] + "0000" if level == "prefecture" else code[:4] + "00"


def cross_checks(spec: Spec, df: pd.DataFrame, lk: Lookups, rep: Report) -> None:
    col = lambda name: df[name] if name in df else nulls(df.index)  # noqa: E731
    if spec.kind == "staff" and {"role", "region_code"} <= set(df):
        level = df["region_code"].map(lambda c: lk.region_level.get(c))
        rep.add_mask(
            (df["role"] == "supervisor") & (level == "village"),
            "region_code",
            "儿童督导员应填写乡镇（街道）代码（9位），不是村（社区）代码",
        )
        rep.add_mask(
            (df["role"] == "director") & (level == "township"),
            "region_code",
            "儿童主任应填写村（社区）代码（12位），不是乡镇（街道）代码",
        )
    for start, end in spec.date_order:
        if start in df and end in df:
            a, b = col(start), col(end)
            flagged = {r for r, name in rep.bad if name == start}  # one error per cause
            backwards = pd.Series(
                [
                    r not in flagged and x is not None and y is not None and x < y
                    for r, x, y in zip(df.index, b, a, strict=True)
                ],
                index=df.index,
            )
            rep.add_mask(backwards, end, f"早于「{spec.by_name(start).header}」，请核对")
    if spec.kind == "cases" and "status" in df:
        closed = df["status"] == "closed"
        if "closed_on" in df:
            rep.add_mask(
                closed & df["closed_on"].isna(), "closed_on", "办理状态为“结案”，但未填写结案日期"
            )
            rep.add_mask(
                ~closed & df["status"].notna() & df["closed_on"].notna(),
                "status",
                "已填写结案日期，但办理状态不是“结案”",
            )
        else:
            rep.add_mask(closed, "status", "办理状态为“结案”，但文件中没有「结案日期」列")
    if spec.kind == "children":
        _child_checks(df, lk, rep)
    if spec.kind == "regions":
        _region_checks(df, lk, rep)


def _child_checks(df: pd.DataFrame, lk: Lookups, rep: Report) -> None:
    idn = df["id_number"] if "id_number" in df else nulls(df.index)
    if "birth_date" in df:
        for row, n, b in zip(df.index, idn, df["birth_date"], strict=True):
            if n is not None and b is not None and b != (embedded := embedded_birth_date(n)):
                rep.add(
                    row,
                    "birth_date",
                    f"出生日期与身份证号不一致（身份证号为 {embedded.isoformat()}）",
                )
    if "gender" in df:
        for row, n, g in zip(df.index, idn, df["gender"], strict=True):
            if n is not None and g is not None and embedded_gender(n) != g:
                rep.add(row, "gender", "性别与身份证号第17位不一致（奇数为男，偶数为女）")
    ids = df["id"] if "id" in df else nulls(df.index)
    for row, i, n in zip(df.index, ids, idn, strict=True):
        if (
            i is None
            and n is None
            and (row, "id") not in rep.bad
            and (row, "id_number") not in rep.bad
        ):
            rep.add(
                row, "id" if "id" in df else "id_number", "编号与身份证号至少填写一项，用于识别儿童"
            )
        if n is not None and i is not None:
            owner = lk.child_by_id_number.get(n)
            if owner is not None and owner != i:
                rep.add(row, "id_number", f"该身份证号已登记在编号为 {owner} 的儿童名下")


def _region_checks(df: pd.DataFrame, lk: Lookups, rep: Report) -> None:
    in_file = dict(zip(df["code"], df["level"], strict=True))
    for row, code, level, parent in zip(
        df.index, df["code"], df["level"], df["parent_code"], strict=True
    ):
        if code is None:
            continue
        if level is not None and level != level_of_code(code):
            rep.add(
                row,
                "level",
                f"层级与代码位数不符（{len(code)}位代码应为{_LEVEL_NAMES[level_of_code(code)]}级）",
            )
            continue
        if level == "province":
            continue
        plevel = lk.region_level.get(parent) or in_file.get(parent)
        if parent is None or plevel is None:
            rep.add(row, "parent_code", "上级区划在系统和本文件中都不存在", parent or "")
        elif LEVEL_ORDER.index(plevel) != LEVEL_ORDER.index(level) - 1:
            rep.add(
                row,
                "parent_code",
                f"上级区划应为{_LEVEL_NAMES[LEVEL_ORDER[LEVEL_ORDER.index(level) - 1]]}级",
                parent,
            )


def duplicates(spec: Spec, df: pd.DataFrame, rep: Report) -> None:
    """The key (and, for children, the ID number) at most once in the file."""
    keys = [spec.key] + (["id_number"] if spec.kind == "children" else [])
    for key in keys:
        if key not in df:
            continue
        vals = df[key]
        present = vals[vals.notna()]
        dup = present.duplicated(keep="first")
        if not dup.any():
            continue
        first_row = present[~dup].reset_index().set_index(key)["row"].to_dict()
        header = spec.by_name(key).header
        for row, v in present[dup].items():
            rep.add(row, key, f"与第{first_row[v]}行的{header}重复")
