"""What an import reports: one `Problem` per bad cell (sheet, row, column, value, Chinese
message), a `Refusal` for a file that is rejected before any row is read, and the
`ImportResult` the CLI and the 数据管理 page show. What is stored or printed is masked
(`Problem.masked`); the page masks its table itself (queries/imports.problem_frame)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from core.masking import mask_id_number, mask_id_numbers_in, mask_phone

# import_batches.status values (the page shows the Chinese labels).
LOADED, REJECTED, REFUSED, FAILED = "loaded", "rejected", "refused", "failed"
BATCH_STATUS = {
    LOADED: "已导入",
    REJECTED: "校验未通过",
    REFUSED: "文件被拒收",
    FAILED: "写入失败",
}
MAX_STORED_ERRORS = 500  # errors kept in import_batches.errors_json (the count is always kept)


@dataclass(frozen=True)
class Problem:
    """One error, located as a person finds it in Excel: the sheet, the row number Excel
    shows, the column header as written in the file (plus its letter), the cell's value."""

    sheet: str
    row: int | None  # 1-based spreadsheet row; None for a whole-file problem
    column: str  # header text as in the file, or the expected header when it is missing
    value: str
    message: str  # Chinese
    letter: str = ""  # Excel column letter (A, B, …) when the column exists
    field: str = ""  # the table column the cell feeds (to mask personal values on screen)

    def as_dict(self) -> dict:
        return asdict(self)

    def masked(self) -> Problem:
        """The problem as it may be stored (import_batches) or printed (the CLI): an ID
        number or phone cell masked, and any ID-number-shaped text in another cell or in the
        message too (issue 19.9). The row and column still say where to look."""
        value = self.value
        if self.field == "id_number" or (self.field == "child_id" and len(value) >= 15):
            value = mask_id_number(value) or ""
        elif self.field == "phone":
            value = mask_phone(value) or ""
        else:
            value = mask_id_numbers_in(value)
        return replace(self, value=value, message=mask_id_numbers_in(self.message))

    def line(self) -> str:
        """'工作表 儿童台账 第7行 E列「身份证号」值“…”：…' for the CLI."""
        where = f"工作表「{self.sheet}」" if self.sheet else ""
        if self.row is not None:
            where += f"第{self.row}行"
        if self.column:
            where += f"{self.letter}列" if self.letter else ""
            where += f"「{self.column}」"
        value = f" 值“{self.value}”" if self.value != "" else ""
        return f"{where}{value}：{self.message}"


class Refusal(Exception):
    """The file is refused as a whole (too large, not what it claims, unreadable, wrong
    headers). Carries the problems to report; nothing is written."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


def refusal(message: str, sheet: str = "", column: str = "", value: str = "") -> Refusal:
    return Refusal(Problem(sheet, None, column, value, message))


@dataclass
class ImportResult:
    """Outcome of one import attempt (also what import_batches records)."""

    kind: str
    file_name: str
    sha256: str
    status: str  # LOADED / REJECTED / REFUSED / FAILED (or "checked" for a dry run)
    rows_in: int = 0
    rows_loaded: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Chinese: skipped rows, ignored columns
    batch_id: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # read/validate/write/rollup
    rollup: str = ""  # "full", "since YYYY-MM", "" (not run) or "failed"

    @property
    def ok(self) -> bool:
        return self.status in (LOADED, "checked")

    def summary(self) -> str:
        """One Chinese sentence for the page and the CLI."""
        if self.status == LOADED:
            return (
                f"导入成功：共 {self.rows_in:,} 行，新增 {self.inserted:,} 行，"
                f"更新 {self.updated:,} 行，未变 {self.unchanged:,} 行。"
            )
        if self.status == "checked":
            return (
                f"校验通过（未写入）：共 {self.rows_in:,} 行，将新增 {self.inserted:,} 行，"
                f"更新 {self.updated:,} 行，未变 {self.unchanged:,} 行。"
            )
        if self.status == REJECTED:
            return (
                f"校验未通过，未导入任何数据：共 {self.rows_in:,} 行，发现 {len(self.errors):,} 处问题。"
                "请按下表逐项修改后重新导入。"
            )
        if self.status == REFUSED:
            return "文件被拒收，未导入任何数据：" + "；".join(p.message for p in self.errors)
        return "写入数据库失败，已全部撤销，未导入任何数据：" + "；".join(
            p.message for p in self.errors
        )
