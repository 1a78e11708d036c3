"""One import, start to end: check the file, read it, map its columns, validate every row,
then write all rows in one transaction or none, record the attempt in import_batches,
refresh the rollup, and write the audit log.

Nothing is written to the raw tables unless every row is valid; every attempt (refused,
rejected, failed or loaded) gets its import_batches row.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from data import rollup_pending
from data.load import write
from data.load.checks import Report
from data.load.errors import (
    FAILED,
    LOADED,
    REFUSED,
    REJECTED,
    ImportResult,
    Problem,
    Refusal,
    refusal,
)
from data.load.headers import map_columns, sheet_score
from data.load.identity import Conflict
from data.load.reading import Limits, check_size, file_format, read_csv, read_xlsx
from data.load.specs import SPECS
from data.load.templates import example_texts
from data.load.validate import load_lookups, validate

log = logging.getLogger(__name__)
CHECKED = "checked"
UNEXPECTED = "读取或校验文件时出现意外错误，已记录到服务器日志，未导入任何数据。请用 Excel 重新保存为 .xlsx 后再试，或联系系统管理员。"


def _read_source(
    source: str | Path | bytes, file_name: str | None, limits: Limits
) -> tuple[bytes, str]:
    """Bytes and the file name; a path's size is checked before it is read."""
    if isinstance(source, bytes | bytearray):
        return bytes(source), file_name or "upload"
    path = Path(source)
    if not path.is_file():
        raise refusal(f"找不到文件：{path}")
    check_size(path.stat().st_size, limits)
    return path.read_bytes(), file_name or path.name


def import_file(
    engine: Engine,
    kind: str,
    source: str | Path | bytes,
    file_name: str | None = None,
    *,
    user: str | None = None,
    limits: Limits | None = None,
    today: date | None = None,
    dry_run: bool = False,
    refresh: bool = True,
) -> ImportResult:
    """Import one ledger file of `kind` (a table name of DESIGN.md §3, see specs.KINDS).

    `source` is a path or the file's bytes (then `file_name` tells .xlsx from .csv).
    `dry_run` validates and counts what would change without writing or recording anything.
    `today` bounds the dates (default: the real today). Never raises for a bad file: the
    result carries the Chinese problems. Raises KeyError for an unknown kind.
    """
    spec = SPECS[kind]
    limits = limits or Limits.from_env()
    today = today or date.today()
    t0 = time.perf_counter()
    shown = file_name or ("upload" if isinstance(source, bytes | bytearray) else Path(source).name)
    result = ImportResult(kind, shown, "", REFUSED)
    try:
        data, name = _read_source(source, file_name, limits)
        result.file_name = name
        result.sha256 = hashlib.sha256(data).hexdigest()
        check_size(len(data), limits)
        if file_format(name) == "xlsx":
            grid = read_xlsx(data, limits, lambda rows: sheet_score(spec, rows))
        else:
            grid = read_csv(data, limits)
        result.seconds["read"] = round(time.perf_counter() - t0, 3)
        t1 = time.perf_counter()
        cmap = map_columns(spec, grid)
        with engine.connect() as conn:
            lookups = load_lookups(conn, spec, cmap)
        checked = validate(spec, grid, cmap, lookups, today, example_texts(spec))
        result.seconds["validate"] = round(time.perf_counter() - t1, 3)
        result.rows_in = checked.rows_in
        result.notes = checked.notes + (
            [f"以下列不在模板中，已忽略：{'、'.join(cmap.ignored)}。"] if cmap.ignored else []
        )
        if checked.rows_in == 0:
            raise refusal("文件中没有数据行（表头下方为空）。", sheet=grid.sheet)
        if checked.rows_in > limits.max_rows:
            raise refusal(
                f"文件行数 {checked.rows_in:,} 超过上限 {limits.max_rows:,} 行，请拆分后分批导入。",
                sheet=grid.sheet,
            )
    except Refusal as r:
        result.status, result.errors = REFUSED, r.problems
        return _finish(engine, result, user, dry_run)
    except SQLAlchemyError:
        raise  # the database itself is unusable: the caller's error handling says so
    except Exception:  # a file shape no rule foresaw: report it, never crash the caller
        log.exception("import of %s failed while reading or validating", kind)
        result.status = FAILED
        result.errors = [Problem("", None, "", "", UNEXPECTED)]
        return _finish(engine, result, user, dry_run)
    if checked.problems:
        result.status, result.errors = REJECTED, checked.problems
        return _finish(engine, result, user, dry_run)

    t1 = time.perf_counter()
    try:
        with engine.begin() as conn:
            plan = write.plan(conn, spec, checked.frame, lookups)
            if not (dry_run or plan.conflicts):
                write.apply(conn, spec, plan)
                result.status, result.rows_loaded = LOADED, result.rows_in
                _count(result, plan)
                result.batch_id = write.record_batch(conn, result, user)
                if result.inserted or result.updated:  # until the refresh below is done
                    rollup_pending.mark(conn, result.batch_id, plan.since)
    except SQLAlchemyError as exc:
        log.exception("import of %s failed while writing", kind)
        result.status, result.rows_loaded = FAILED, 0
        result.errors = [Problem(grid.sheet, None, "", "", _db_message(exc))]
        return _finish(engine, result, user, dry_run)
    if plan.conflicts:  # keys reused for other records: nothing was written
        result.status = REJECTED
        result.errors = _conflict_problems(spec, grid, cmap, plan.conflicts)
        return _finish(engine, result, user, dry_run)
    if dry_run:  # plan() only read: nothing to undo
        result.status = CHECKED
        _count(result, plan)
        return result
    result.seconds["write"] = round(time.perf_counter() - t1, 3)

    behind = write.rollup_behind(engine) if refresh else []
    if refresh and (result.inserted or result.updated or behind):
        if not (result.inserted or result.updated):
            result.notes.append(
                "数据没有变化，但此前导入的数据尚未完成指标汇总（导入编号 "
                + "、".join(f"#{b}" for b in behind)
                + "），已补做刷新。"
            )
        t1 = time.perf_counter()
        try:
            result.rollup = write.refresh_rollup(engine, kind, plan.since)
        except Exception:  # the data are in; the snapshot can be rebuilt with data.rollup
            log.exception("rollup refresh after import %s failed", result.batch_id)
            result.rollup = "failed"
            result.notes.append(
                "数据已导入，但指标汇总刷新失败；下次导入时会自动补做，也可在“数据管理”页点击"
                "“刷新指标汇总”，或运行 .venv/bin/python -m data.rollup。"
            )
        result.seconds["rollup"] = round(time.perf_counter() - t1, 3)
        write.note_rollup(engine, result.batch_id, result.rollup)
    elif refresh:
        result.notes.append("数据没有变化，无需刷新指标汇总。")
    _audit(engine, user, result)
    result.seconds["total"] = round(time.perf_counter() - t0, 3)
    return result


def _count(result: ImportResult, plan: write.Plan) -> None:
    result.inserted, result.updated, result.unchanged = (
        len(plan.inserts),
        len(plan.updates),
        plan.unchanged,
    )


def _conflict_problems(spec, grid, cmap, found: list[Conflict]) -> list[Problem]:
    """Each conflict located like a validation problem: sheet, row, column, value."""
    rep = Report(spec, grid, cmap, pd.DataFrame())
    for c in found:
        rep.add(c.row, c.field, c.message, "" if c.value is None else c.value)
    return sorted(rep.problems, key=lambda p: (p.row or 0, len(p.letter), p.letter))


def _db_message(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", exc)).lower()
    if "unique" in text or "duplicate" in text or "foreign key" in text:
        return "写入时与同时进行的其他导入冲突（编号重复或引用的记录已变化），已全部撤销。请稍后重新导入。"
    return "写入数据库时出错，已全部撤销。请稍后重试；若问题持续，请联系系统管理员。"


def _finish(engine: Engine, result: ImportResult, user: str | None, dry_run: bool) -> ImportResult:
    """Record a refused, rejected or failed attempt (never for a dry run)."""
    if dry_run:
        return result
    try:
        with engine.begin() as conn:
            result.batch_id = write.record_batch(conn, result, user)
    except SQLAlchemyError:
        log.exception("could not record the import attempt")
    _audit(engine, user, result)
    return result


def _audit(engine: Engine, user: str | None, result: ImportResult) -> None:
    """The one audit call site of imports (DESIGN.md §6: imports are audited)."""
    target = f"{result.kind}:{result.file_name}:{result.status}:batch {result.batch_id}"[:255]
    try:
        from data import audit
    except ImportError:  # sign-in/audit module not present yet
        return
    try:
        audit.record(engine, user, "import", target)
    except Exception:  # auditing must not turn a finished import into an error page
        log.exception("audit record for import failed")
