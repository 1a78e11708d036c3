"""Finding the header row and mapping a ledger's columns to a table's fields.

Real ledgers put a title (and a unit or date line) above the header, merge header cells
across two rows (a group heading over its sub-headings, or one heading spanning both rows),
mark required columns with '*', add a '序号' column, a numbering row under the header, a
sign-off line at the bottom. The header is the row among the first 30 with the most known
column names; a neighbouring row fills in the columns it leaves blank or unknown (a merged
cell's value sits only in its top-left cell, which openpyxl's read-only mode returns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from data.load.errors import Problem, Refusal, refusal
from data.load.parsing import norm_key, norm_text
from data.load.reading import HEADER_SCAN_ROWS, Grid, column_letter
from data.load.specs import MONEY, SPECS, Spec

_SPACES = re.compile(r"\s+")
_PAREN_TAIL = re.compile(r"\([^()]*\)$")
_REQUIRED_MARK = re.compile(r"\((必填|选填|可选|必填项)\)")
FOOTER_RE = re.compile(
    r"(填表人|填报人|制表人|审核人|负责人|填报单位|填表日期|填报日期|合计|总计|盖章)"
)


@dataclass
class ColumnMap:
    """Where each field is in the grid, and what was left aside."""

    header_rows: list[int]  # positions in grid.rows of the header block
    data_start: int  # position in grid.rows of the first data row
    fields: dict[str, int] = field(default_factory=dict)  # field name -> column index
    alt: dict[str, int] = field(default_factory=dict)  # ref field -> column of its alternate key
    headers: dict[int, str] = field(default_factory=dict)  # column index -> header text shown
    scale: dict[str, int] = field(default_factory=dict)  # money field -> 10000 for 万元
    ignored: list[str] = field(default_factory=list)


def header_key(cell: object) -> str:
    """norm_key plus '(必填)' marks removed."""
    return _REQUIRED_MARK.sub("", norm_key(cell)) if cell is not None else ""


_VOCABULARIES: dict[str, dict[str, tuple[str, str]]] = {}


def _vocabulary(spec: Spec) -> dict[str, tuple[str, str]]:
    """header key -> ('field'|'alt'|'ignored', field name), built once per kind."""
    if spec.kind not in _VOCABULARIES:
        _VOCABULARIES[spec.kind] = _build_vocabulary(spec)
    return _VOCABULARIES[spec.kind]


def _build_vocabulary(spec: Spec) -> dict[str, tuple[str, str]]:
    vocab: dict[str, tuple[str, str]] = {}
    for f in spec.fields:
        for h in (f.header, *f.aliases):
            vocab.setdefault(norm_key(h), ("field", f.name))
    for name, (headers, _col) in spec.alt_refs.items():
        for h in headers:
            vocab.setdefault(norm_key(h), ("alt", name))
    for h in spec.ignored:
        vocab.setdefault(norm_key(h), ("ignored", h))
    return vocab


def _match(vocab: dict[str, tuple[str, str]], cell: object) -> tuple[str, str] | None:
    """Exact key, else the key without a trailing '(…)' (a unit or format note)."""
    if cell is None:
        return None
    k = header_key(cell)
    if not k:
        return None
    if k in vocab:
        return vocab[k]
    stripped = _PAREN_TAIL.sub("", k)
    return vocab.get(stripped) if stripped != k else None


def is_header_cell(spec: Spec, cell: object) -> bool:
    """A text cell that is one of this ledger's column names (cheap pre-check for repeated
    header rows inside the data)."""
    return isinstance(cell, str) and _match(_vocabulary(spec), cell) is not None


def _rank(spec: Spec, m: tuple[str, str], shown: str) -> int:
    """How canonical a heading is for its field: 0 for the template header, then the
    aliases in order (two columns for one field: the better-named one is used)."""
    what, name = m
    names = (
        spec.alt_refs[name][0]
        if what == "alt"
        else (spec.by_name(name).header, *spec.by_name(name).aliases)
    )
    keys = [norm_key(x) for x in names]
    k = header_key(shown)
    for candidate in (k, _PAREN_TAIL.sub("", k)):
        if candidate in keys:
            return keys.index(candidate)
    return len(keys)


def row_score(spec: Spec, row: list[object]) -> int:
    """How many cells of the row are known headers of this ledger (ignored ones excluded)."""
    vocab = _vocabulary(spec)
    return sum(1 for c in row if (m := _match(vocab, c)) and m[0] != "ignored")


def sheet_score(spec: Spec, rows: list[list[object]]) -> int:
    return max((row_score(spec, r) for r in rows[:HEADER_SCAN_ROWS]), default=0)


def _best_other_kind(spec: Spec, rows: list[list[object]]) -> str | None:
    own = sheet_score(spec, rows)
    scores = {k: sheet_score(s, rows) for k, s in SPECS.items() if k != spec.kind}
    kind, best = max(scores.items(), key=lambda kv: kv[1], default=(None, 0))
    return SPECS[kind].title if kind and best >= 3 and best > own else None


def map_columns(spec: Spec, grid: Grid) -> ColumnMap:
    """Locate the header block and map columns; Refusal when the header is not found, a
    required column is missing, or two columns claim the same field."""
    vocab = _vocabulary(spec)
    head = grid.rows[:HEADER_SCAN_ROWS]
    scores = [row_score(spec, r) for r in head]
    other = _best_other_kind(spec, grid.rows)
    if not scores or max(scores) < min(2, len(spec.fields)) or other:
        hint = (
            f"该文件看起来是「{other}」台账，请选择正确的台账类型。"
            if other
            else ("请确认选择了正确的台账类型，或使用本系统下载的模板。")
        )
        raise refusal(
            f"未找到「{spec.title}」的表头：前{HEADER_SCAN_ROWS}行中没有与模板相符的列名。{hint}",
            sheet=grid.sheet,
        )
    h = max(range(len(scores)), key=lambda i: (scores[i], -i))
    width = max(len(r) for r in grid.rows[: h + 2])

    def cell(i: int, j: int) -> object:
        return grid.rows[i][j] if 0 <= i < len(grid.rows) and j < len(grid.rows[i]) else None

    # The neighbour row that supplies known headers where row h has none.
    best_r, best_fill = None, 0
    for r in (h - 1, h + 1):
        if not 0 <= r < len(head):
            continue
        fill = sum(
            1 for j in range(width) if not _match(vocab, cell(h, j)) and _match(vocab, cell(r, j))
        )
        if fill > best_fill:
            best_r, best_fill = r, fill
    header_rows = sorted([h] + ([best_r] if best_r is not None else []))
    cmap = ColumnMap(header_rows=header_rows, data_start=header_rows[-1] + 1)

    claimed: dict[str, int] = {}
    problems: list[Problem] = []
    for j in range(width):
        own = cell(h, j)
        m = _match(vocab, own)
        text = own
        if m is None and best_r is not None and _match(vocab, cell(best_r, j)):
            text = cell(best_r, j)
            m = _match(vocab, text)
        if text is None and best_r is not None:
            text = cell(best_r, j)
        shown = _SPACES.sub("", str(text)) if text is not None else ""
        if shown:
            cmap.headers[j] = shown
        if m is None:
            if shown:
                cmap.ignored.append(shown)
            continue
        what, name = m
        if what == "ignored":
            cmap.ignored.append(shown)
            continue
        slot = cmap.fields if what == "field" else cmap.alt
        tag = f"{what}:{name}"
        if tag in claimed:
            first = claimed[tag]
            rank_first, rank_new = _rank(spec, m, cmap.headers[first]), _rank(spec, m, shown)
            if rank_new == rank_first:  # the same heading twice: which one is meant?
                problems.append(
                    Problem(
                        grid.sheet,
                        grid.row_numbers[h],
                        shown,
                        "",
                        f"第{column_letter(first)}列「{cmap.headers[first]}」和第{column_letter(j)}列"
                        f"「{shown}」对应同一项，请删除其中一列",
                        column_letter(j),
                    )
                )
                continue
            if rank_new > rank_first:  # a weaker alias (e.g. 现居住地 beside 村（社区）代码)
                cmap.ignored.append(shown)
                continue
            cmap.ignored.append(cmap.headers[first])
        claimed[tag] = j
        slot[name] = j
        if what == "field" and spec.by_name(name).type == MONEY and "万元" in shown:
            cmap.scale[name] = 10_000

    for f in spec.fields:
        if f.name in cmap.fields or not f.required:
            continue
        if f.name in spec.alt_refs and f.name in cmap.alt:
            continue
        if (
            spec.kind == "children"
            and f.name == "category"
            and ("left_behind_type" in cmap.fields or "difficulty_type" in cmap.fields)
        ):
            continue
        problems.append(
            Problem(grid.sheet, grid.row_numbers[h], f.header, "", f"缺少必填列「{f.header}」")
        )
    if spec.kind == "children" and "id" not in cmap.fields and "id_number" not in cmap.fields:
        problems.append(
            Problem(
                grid.sheet,
                grid.row_numbers[h],
                "编号",
                "",
                "缺少「编号」或「身份证号」列（至少需要一列用于识别儿童）",
            )
        )
    if problems:
        raise Refusal(*problems)
    return cmap


def is_numbering_row(row: list[object]) -> bool:
    """A row of column numbers (1, 2, 3, …) printed under some forms' headers."""
    vals = [c for c in row if c is not None and str(c).strip()]
    if len(vals) < 3:
        return False
    try:
        nums = [int(float(norm_text(v))) for v in vals]
    except ValueError:
        return False
    return nums == list(range(nums[0], nums[0] + len(nums)))


def is_footer_row(row: list[object]) -> bool:
    """A sign-off or total line ('填表人：… 审核人：…', '合计') with at most three cells."""
    vals = [c for c in row if c is not None and str(c).strip()]
    return 0 < len(vals) <= 3 and any(isinstance(v, str) and FOOTER_RE.search(v) for v in vals)
