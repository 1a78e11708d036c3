"""Masking of personal data (DESIGN.md §6). Lists of people leave `queries/` masked:
张*明, 3601**********1234, 138****5678 — unless the caller asks for them unmasked
(`maskers(unmasked=True)`), which only the drill-down's lists do for a user with the
permission (queries/records.py). The masks themselves live in core/masking.py (the importer
masks alike) and are imported from here as before."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from core.masking import mask_id_number, mask_name, mask_phone
from core.metrics import BY_CODE

SMALL_COUNT = 5  # sensitive counts below this are shown as "<5" at township/village level
# Counts of the registry's `small_cell` metrics (cases, referrals, unguarded children) below
# this are withheld for townships and villages outside the county's own users (issue 19.10).
SMALL_CELL = 3
SMALL_CELL_TEXT = f"<{SMALL_CELL}"


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


def own_county(scope_level: str | None) -> bool:
    """Whether the user whose scope is at `scope_level` is one of a county's own users (who
    handle its cases): the only users who see its small cells and its cases' detail."""
    return scope_level == "county"


def case_detail_allowed(scope_level: str | None, unmasked: bool = False) -> bool:
    """Whether a case list may name each case's village and concern (abuse, neglect …):
    for the county's own users and a user permitted to see unmasked data only. Above the
    county, the village beside a masked name is unique for 98.5% of the demo's children
    and the concern says what happened to that child (issue 19.10)."""
    return unmasked or own_county(scope_level)


def suppress_small_cells(long: pd.DataFrame, scope_level: str | None) -> pd.DataFrame:
    """Township or village rows (code, metric, numerator, denominator, value) with a
    `suppressed` column: for a user outside the county, each `small_cell` metric of 1 or 2
    loses its numerator and value (shown as SMALL_CELL_TEXT). Zero stays zero: "none" names
    nobody."""
    small = long["metric"].map(lambda m: BY_CODE[m].small_cell if m in BY_CODE else False)
    n = pd.to_numeric(long["numerator"], errors="coerce")
    hide = small & n.gt(0) & n.lt(SMALL_CELL) & (not own_county(scope_level))
    out = long.assign(suppressed=hide.astype(bool))
    out.loc[hide, ["numerator", "value"]] = float("nan")
    return out
