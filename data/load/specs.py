"""One import spec per raw table of DESIGN.md §3: the Chinese column headers of its template,
the aliases real ledgers use, each column's type, and the table's natural key.

Natural keys (what a re-import matches on, so that it updates instead of duplicating):
- every table: `id` (编号), the ledger's own record number, required in the file;
- `regions`: `code` (区划代码);
- `children`: `id` when the row has one, else the ID number (身份证号) of a child already in
  the database, else a new id; rows without either are refused (no key, no idempotence).
  The national registration form carries no internal id, which is why this table differs.
A key names one record for good: a row that reuses a stored 编号 for a record of another
county, or for a child with another ID number, is refused (data/load/identity.py).
Columns a file leaves out keep their stored values on update (a partial ledger updates
only what it carries) and take the column default on insert.
"""

from data.load.enums import ENUMS, LEVEL_DIGITS, LEVEL_NAMES, SYNONYMS, enum_choices
from data.load.fields import (
    BOOL,
    DATE,
    ENUM,
    ID_NUMBER,
    INT,
    MONEY,
    PHONE,
    REF,
    REGION,
    TEXT,
    Field,
    Spec,
)
from data.load.specs_cases import CASE_SPECS
from data.load.specs_people import PEOPLE_SPECS
from data.load.specs_places import PLACE_SPECS

ORDER = (
    "regions",
    "children_homes",
    "home_activities",
    "staff",
    "trainings",
    "children",
    "visits",
    "cases",
    "referrals",
    "care_actions",
    "institutions",
    "service_purchases",
)
_ALL = {sp.kind: sp for sp in (*PLACE_SPECS, *PEOPLE_SPECS, *CASE_SPECS)}
SPECS: dict[str, Spec] = {kind: _ALL[kind] for kind in ORDER}
KINDS: tuple[str, ...] = ORDER
TITLES: dict[str, str] = {k: v.title for k, v in SPECS.items()}

__all__ = [
    "BOOL",
    "DATE",
    "ENUM",
    "ENUMS",
    "ID_NUMBER",
    "INT",
    "KINDS",
    "LEVEL_DIGITS",
    "LEVEL_NAMES",
    "MONEY",
    "PHONE",
    "REF",
    "REGION",
    "SPECS",
    "SYNONYMS",
    "TEXT",
    "TITLES",
    "Field",
    "Spec",
    "enum_choices",
]
