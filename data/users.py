"""Account administration from the command line (DESIGN.md §6):

    python -m data.users add USERNAME --role county --region 360781 [--personal] [--oidc]
    python -m data.users disable USERNAME | enable USERNAME | unlock USERNAME
    python -m data.users end-sessions USERNAME   # sign the user out everywhere
    python -m data.users reset USERNAME          # new generated password, printed once
    python -m data.users personal USERNAME on|off  # permission to see unmasked personal data
    python -m data.users list

`--url URL` picks the database (default: the configured one). A generated password is
printed once and never stored anywhere but as its Argon2 hash; `--password-stdin` reads a
chosen one from standard input instead (never from the command line, where it would sit in
the shell history). Either way the password must pass the policy (data/accounts.py
`password_problems`) and, being the administrator's, must be changed by the user at the
first sign-in. Every change is written to audit_log as done by `cli:<OS user>`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from data import accounts, audit
from data.config import database_url
from data.db import make_engine

ROLE_CHOICES = accounts.ROLES


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in a container: still say where it came from
        return "cli"


def _read_password(args: argparse.Namespace) -> str | None:
    if not getattr(args, "password_stdin", False):
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    return line or None


def _show_password(username: str, password: str | None) -> None:
    """The generated password, once (none when it was chosen: the admin knows it); either
    way the user is to replace it at the first sign-in."""
    if password is not None:
        print(f"用户 {username} 的密码（只显示这一次，请妥善转交）：")
        print(f"    {password}")
    print("该用户首次登录时须修改此密码。")


def _fmt(value) -> str:
    if value is None or value != value:  # None or NaN/NaT
        return "—"
    return str(value)


def _list(engine) -> None:
    df = accounts.list_users(engine)
    if df.empty:
        print("（没有用户）")
        return
    now = audit.utc_now()
    header = ("用户名", "角色", "地区", "状态", "未脱敏权限", "须改密码", "最近登录(UTC)")
    rows = []
    for r in df.itertuples():
        locked = r.locked_until is not None and r.locked_until == r.locked_until
        status = "停用" if not r.is_active else "启用"
        if locked and r.locked_until > now:
            status += "·已锁定"
        region = f"{_fmt(r.region_name)} {_fmt(r.region_code)}"
        rows.append(
            (
                r.username,
                accounts.ROLE_LABELS.get(r.role, r.role),
                region,
                status,
                "有" if r.can_view_personal else "无",
                "是" if r.must_change_password else "否",
                _fmt(r.last_sign_in_at)[:16],
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for line in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data.users", description="看板用户管理 (dashboard accounts)"
    )
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (default: configured DB)")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="新增用户 (add an account)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument("--region", default=None, help="地区代码 (province/admin: default 省)")
    add.add_argument("--personal", action="store_true", help="可查看未脱敏个人信息")
    add.add_argument("--oidc", action="store_true", help="只用统一身份认证登录，无本地密码")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    for name, text in (
        ("disable", "停用用户"),
        ("enable", "启用用户"),
        ("unlock", "解除锁定"),
        ("end-sessions", "结束该用户的全部登录（强制下线）"),
    ):
        sub.add_parser(name, help=text).add_argument("username")
    reset = sub.add_parser("reset", help="重置密码（生成新密码）")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    personal = sub.add_parser("personal", help="授予/收回查看未脱敏个人信息的权限")
    personal.add_argument("username")
    personal.add_argument("state", choices=("on", "off"))
    sub.add_parser("list", help="列出用户")
    return parser


def run(args: argparse.Namespace) -> int:
    engine = make_engine(args.url or database_url())
    actor = _actor()
    try:
        if args.command == "list":
            _list(engine)
            return 0
        name = args.username
        if args.command == "add":
            chosen = _read_password(args)  # None (also for an empty line): generate one
            password = accounts.add_user(
                engine,
                name,
                args.role,
                args.region,
                chosen,
                can_view_personal=args.personal,
                oidc_only=args.oidc,
            )
            user = accounts.get_user(engine, name)
            detail = f"{name} {args.role} {user.region_code}" + (
                " 未脱敏权限" if args.personal else ""
            )
            audit.record(engine, actor, "user_add", detail)
            print(
                f"已新增用户 {name}（{accounts.ROLE_LABELS[args.role]}，地区 {user.region_code}）。"
            )
            if args.oidc:
                print("该用户只能通过统一身份认证登录（用户名须与身份认证返回的账号一致）。")
            else:
                _show_password(name, None if chosen is not None else password)
        elif args.command == "reset":
            chosen = _read_password(args)
            password = accounts.reset_password(engine, name, chosen)
            audit.record(engine, actor, "user_reset", name)
            print(f"已重置用户 {name} 的密码，其已登录的会话将失效。")
            _show_password(name, None if chosen is not None else password)
        elif args.command in ("disable", "enable"):
            accounts.set_active(engine, name, args.command == "enable")
            audit.record(engine, actor, f"user_{args.command}", name)
            print(f"已{'启用' if args.command == 'enable' else '停用'}用户 {name}。")
        elif args.command == "unlock":
            accounts.unlock(engine, name)
            audit.record(engine, actor, "user_unlock", name)
            print(f"已解除用户 {name} 的锁定。")
        elif args.command == "end-sessions":
            ended = accounts.end_sessions(engine, name)
            audit.record(engine, actor, "sessions_ended", f"{name} {ended} 个会话")
            print(f"已结束用户 {name} 的 {ended} 个登录会话（所有窗口须重新登录）。")
        elif args.command == "personal":
            on = args.state == "on"
            accounts.set_personal_permission(engine, name, on)
            audit.record(engine, actor, "user_update", f"{name} 未脱敏权限={'有' if on else '无'}")
            print(f"已{'授予' if on else '收回'}用户 {name} 查看未脱敏个人信息的权限。")
        return 0
    except accounts.UserError as exc:
        print(f"操作未完成：{exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"数据库操作失败：{type(exc).__name__}。请检查 --url 与数据库结构版本（python -m data.db upgrade）。",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
