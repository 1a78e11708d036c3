"""The building blocks of a ledger spec: column types, `Field` (one column) and `Spec` (one
ledger kind = one raw table)."""

from __future__ import annotations

from dataclasses import dataclass, field

from data import schema as s

# Column types: how a cell is parsed (data/load/parsing.py).
TEXT, INT, MONEY, DATE, BOOL, ENUM, REGION, ID_NUMBER, PHONE, REF = (
    "text",
    "int",
    "money",
    "date",
    "bool",
    "enum",
    "region",
    "id_number",
    "phone",
    "ref",
)


@dataclass(frozen=True)
class Field:
    """One column of a ledger."""

    name: str  # database column
    header: str  # Chinese template header
    type: str
    required: bool = False  # the cell must be filled (and the column present)
    aliases: tuple[str, ...] = ()
    enum: str | None = None  # key of ENUMS
    levels: tuple[str, ...] = ()  # REGION: allowed levels
    ref: str | None = None  # REF: kind referenced ("children", "staff", ...)
    future_ok: bool = False  # DATE: may lie after today (deadlines)
    max_len: int | None = None  # TEXT
    lo: int | None = None  # INT: bounds
    hi: int | None = None
    note: str = ""  # Chinese, for the template's notes sheet
    example: object = None


@dataclass(frozen=True)
class Spec:
    """A ledger kind: its table, title, columns and rules."""

    kind: str
    title: str  # Chinese, also the template's sheet name
    fields: tuple[Field, ...]
    key: str = "id"
    ignored: tuple[str, ...] = ()  # headers known to carry nothing we store
    # (start column, end column) pairs that must not run backwards.
    date_order: tuple[tuple[str, str], ...] = ()
    # Where a ref may be given by another key: field -> (header aliases, referenced column).
    alt_refs: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    @property
    def table(self):
        return s.metadata.tables[self.kind]

    def by_name(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def id_field(title: str, example: int = 1001) -> Field:
    return Field(
        "id",
        "编号",
        INT,
        required=True,
        aliases=("记录编号", "序列号ID", "ID"),
        lo=1,
        hi=2**31 - 1,
        note=f"{title}在本台账中的唯一编号（正整数）。再次导入同一编号将更新该条记录。",
        example=example,
    )


def ref_field(
    name: str,
    header: str,
    ref: str,
    note: str = "",
    required: bool = True,
    aliases: tuple[str, ...] = (),
) -> Field:
    """A column naming a record of another ledger (`ref`, a kind) by its 编号."""
    return Field(
        name, header, REF, required=required, ref=ref, aliases=aliases, example=1001, note=note
    )


VILLAGE = ("village",)


def region_field(
    levels: tuple[str, ...],
    example: str,
    note: str = "",
    aliases: tuple[str, ...] = ("区划代码",),
    name: str = "region_code",
    header: str = "所在区划代码",
) -> Field:
    """A required region code column (所在区划代码 unless named otherwise) at one of `levels`."""
    return Field(
        name,
        header,
        REGION,
        required=True,
        levels=levels,
        aliases=aliases,
        example=example,
        note=note,
    )


def village_field(aliases: tuple[str, ...]) -> Field:
    """村（社区）代码: the village a home or a child belongs to."""
    return region_field(
        VILLAGE,
        "360102001001",
        "12位村（社区）统计用区划代码。",
        aliases,
        name="village_code",
        header="村（社区）代码",
    )


IGNORED_COMMON = ("序号", "备注", "说明")
