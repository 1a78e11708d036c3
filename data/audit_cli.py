"""The audit log's command line (data/audit.py has the why):

    python -m data.audit verify [--url URL]            # walk the hash chain; exit 1 when broken
    python -m data.audit purge [--url URL] [--days N]  # delete rows past the retention

`--url URL` picks the database (default: the configured one). `verify` prints how many rows
verify and the chain's head (last id and hash: note it elsewhere to notice the newest rows
being removed later), or the first broken row and what is wrong with it. `purge` keeps
AUDIT_RETENTION_DAYS (or `--days`), never fewer than 180 days, and is itself audited as done
by `cli:<OS user>`. Messages in Chinese with an English gloss, like the other CLIs of data/.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Sequence

from core.settings import AUDIT_RETENTION_FLOOR_DAYS
from data import audit
from data.config import database_url
from data.db import make_engine


def report_lines(report: audit.ChainReport) -> list[str]:
    """What `verify` prints for a report (first line: verifies or where it breaks)."""
    if report.ok:
        lines = [f"审计日志哈希链完整 (audit chain verifies): {report.rows:,} 条记录 (rows)"]
    else:
        lines = [
            f"审计日志哈希链在 id {report.broken_id} 处断开 "
            f"(audit chain broken at id {report.broken_id}): {report.problem_zh()} "
            f"[{audit.PROBLEMS_EN[report.problem]}]",
            f"此前 {report.rows:,} 条记录校验通过 (rows verified before it)",
        ]
    if report.unchained:
        lines.append(
            f"id {report.unchained_before} 之前的 {report.unchained:,} 条记录写于哈希链启用之前，"
            f"未纳入校验 (unchained before id {report.unchained_before})"
        )
    if report.anchor_id is not None:
        lines.append(
            f"自清理锚点 id {report.anchor_id} 之后校验 (from the purge anchor at id {report.anchor_id})"
        )
    if report.ok and report.head_id is not None:
        lines.append(f"链尾 (head): id {report.head_id} {report.head_hash}")
    return lines


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in a container: still say where it came from
        return "cli"


def _purge(engine, days: int | None) -> None:
    if days is not None and days < AUDIT_RETENTION_FLOOR_DAYS:
        print(
            f"保留期不得少于 {AUDIT_RETENTION_FLOOR_DAYS} 天（网络安全法第二十一条），"
            f"按 {AUDIT_RETENTION_FLOOR_DAYS} 天执行 "
            f"(retention raised to the {AUDIT_RETENTION_FLOOR_DAYS}-day floor)"
        )
    result = audit.purge(engine, days=days, actor=_actor())
    before = f"{audit.to_local(result.cutoff):%Y-%m-%d %H:%M}"
    if result.deleted:
        print(
            f"已清理北京时间 {before} 之前的 {result.deleted:,} 条审计记录（id ≤ {result.anchor_id}，"
            f"保留 {result.days} 天）(purged {result.deleted:,} rows older than {result.days} days)"
        )
    else:
        print(
            f"没有北京时间 {before} 之前的审计记录需要清理 "
            f"(nothing older than {result.days} days to purge)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """0 when the chain verifies (or the purge ran), 1 when it is broken or the call failed."""
    parser = argparse.ArgumentParser(
        prog="python -m data.audit", description="审计日志：校验哈希链、清理过期记录"
    )
    parser.add_argument("command", choices=["verify", "purge"])
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (default: the configured DB)")
    parser.add_argument(
        "--days",
        type=int,
        default=None,
        help="purge: days kept (default AUDIT_RETENTION_DAYS; never under 180)",
    )
    args = parser.parse_args(argv)
    engine = make_engine(args.url or database_url())
    try:
        if args.command == "purge":
            _purge(engine, args.days)
            return 0
        report = audit.verify_chain(engine)
        print("\n".join(report_lines(report)))
        return 0 if report.ok else 1
    except Exception as exc:  # a CLI: report, do not dump a traceback on the operator
        print(f"审计日志操作失败 (audit {args.command} failed): {exc}")
        return 1
    finally:
        engine.dispose()
