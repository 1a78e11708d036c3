"""python -m data.load --kind KIND FILE --url URL [--user NAME] [--check] [--template OUT.xlsx]

Exit 0 when the file was loaded (or, with --check, would load), 1 when it was refused,
rejected or could not be written (the Chinese problems are printed, one per line, ID numbers
and phones masked), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.masking import mask_id_numbers_in
from data.db import make_engine
from data.load.core import import_file
from data.load.errors import BATCH_STATUS
from data.load.reading import Limits, MiB
from data.load.specs import KINDS, TITLES
from data.load.templates import template_bytes

MAX_PRINTED = 200


def main(argv: list[str] | None = None) -> int:
    kinds = "、".join(f"{k}（{TITLES[k]}）" for k in KINDS)
    parser = argparse.ArgumentParser(
        prog="python -m data.load", description="导入台账（.xlsx / .csv）。"
    )
    parser.add_argument(
        "--kind", required=True, choices=KINDS, metavar="KIND", help=f"台账类型：{kinds}"
    )
    parser.add_argument("file", nargs="?", help="台账文件（.xlsx 或 .csv）")
    parser.add_argument("--url", default=None, help="数据库地址（默认：系统配置的数据库）")
    parser.add_argument("--user", default=None, help="导入人（记入导入记录）")
    parser.add_argument("--check", action="store_true", help="只校验，不写入")
    parser.add_argument("--no-rollup", action="store_true", help="导入后不刷新指标汇总")
    parser.add_argument("--max-mb", type=float, default=None, help="文件大小上限（MB）")
    parser.add_argument("--max-rows", type=int, default=None, help="数据行数上限")
    parser.add_argument(
        "--template", metavar="OUT", default=None, help="只生成该类型的模板到 OUT（.xlsx）"
    )
    args = parser.parse_args(argv)

    if args.template:
        Path(args.template).write_bytes(template_bytes(args.kind))
        print(f"已生成模板：{args.template}")
        return 0
    if not args.file:
        parser.error("缺少台账文件")
    from data.config import database_url

    limits = Limits.from_env()
    if args.max_mb is not None or args.max_rows is not None:
        limits = Limits(
            max_bytes=int(args.max_mb * MiB) if args.max_mb is not None else limits.max_bytes,
            max_rows=args.max_rows if args.max_rows is not None else limits.max_rows,
        )
    engine = make_engine(args.url or database_url())
    try:
        result = import_file(
            engine,
            args.kind,
            args.file,
            user=args.user,
            limits=limits,
            dry_run=args.check,
            refresh=not args.no_rollup,
        )
    except Exception as exc:  # database unreachable and the like: one line, no traceback
        print(f"导入失败：{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    status = BATCH_STATUS.get(result.status, "校验通过")
    print(f"[{status}] {TITLES[args.kind]}：{result.file_name}")
    print(mask_id_numbers_in(result.summary()))
    for p in result.errors[:MAX_PRINTED]:
        print("  " + p.masked().line())  # no raw ID number on a terminal or in a log
    if len(result.errors) > MAX_PRINTED:
        print(f"  ……另有 {len(result.errors) - MAX_PRINTED:,} 处问题未列出。")
    for note in result.notes:
        print("说明：" + mask_id_numbers_in(note))
    if result.rollup:
        print(f"指标汇总：{result.rollup}")
    timing = "，".join(f"{k} {v:.2f} 秒" for k, v in result.seconds.items())
    if timing:
        print(f"用时：{timing}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
