"""Masking of personal data (DESIGN.md §6). Lists of people leave `queries/` masked:
张*明, 3601**********1234, 138****5678 — unless the caller asks for them unmasked
(`maskers(unmasked=True)`), which only the drill-down's lists do for a user with the
permission (queries/records.py)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

SMALL_COUNT = 5  # sensitive counts below this are shown as "<5" at township/village level


def mask_name(name: str | None) -> str | None:
    """Keep the first and last character: 张*明, 欧阳**华; a two-character name keeps the first."""
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return None
    name = str(name).strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str | None) -> str | None:
    """First four and last four digits: 3601**********1234."""
    if id_number is None or (isinstance(id_number, float) and pd.isna(id_number)):
        return None
    s = str(id_number).strip()
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_phone(phone: str | None) -> str | None:
    """First three and last four digits: 138****5678."""
    if phone is None or (isinstance(phone, float) and pd.isna(phone)):
        return None
    s = str(phone).strip()
    if len(s) <= 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


MASKERS = {"name": mask_name, "id_number": mask_id_number, "phone": mask_phone}


def _unmasked(value: str | None) -> str | None:
    """The value as stored (stripped), None for a missing one: what a masker returns for
    a user allowed to see unmasked data."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value).strip()


def maskers(unmasked: bool = False) -> dict[str, Callable[[str | None], str | None]]:
    """The functions a list applies to its personal columns (keys of MASKERS): the masks,
    or with `unmasked` the raw values, for the one view that may show them (a user with
    the 可查看未脱敏信息 permission, audited as view_personal)."""
    if unmasked:
        return dict.fromkeys(MASKERS, _unmasked)
    return dict(MASKERS)


def mask_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every personal column (name, id_number, phone, *_name) masked."""
    out = df.copy()
    for col in out.columns:
        masker = MASKERS.get(col) or (mask_name if col.endswith("_name") else None)
        if col in ("region_name", "village_name", "township_name", "county_name", "home_name"):
            continue
        if masker is not None:
            out[col] = out[col].map(masker)
    return out


def small_count(n: int | None) -> str:
    """Counts of sensitive cases under 5 below county level are shown as "<5"."""
    if n is None:
        return "—"
    return "<5" if 0 < n < SMALL_COUNT else f"{n:,}"
