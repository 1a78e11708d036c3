"""Masking of personal data (DESIGN.md §6). Lists of people leave `queries/` masked:
张*明, 3601**********1234, 138****5678 — unless the caller asks for them unmasked
(`maskers(unmasked=True)`), which only the drill-down's lists do for a user with the
permission (queries/records.py). The masks themselves live in core/masking.py (the importer
masks alike) and are imported from here as before."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from core.masking import mask_id_number, mask_name, mask_phone

SMALL_COUNT = 5  # sensitive counts below this are shown as "<5" at township/village level


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
