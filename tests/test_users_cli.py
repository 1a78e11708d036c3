"""`python -m data.users`: add, disable, enable, unlock, reset, personal, list — on SQLite and
PostgreSQL. A generated password is printed once and stored nowhere but as its hash; every
change is audited as done by `cli:<OS user>`."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert, select

from data import accounts, authentication
from data import users as cli
from data.config import REPO_ROOT
from data.schema import app_users, audit_log, regions
from queries import audit
from tests.fixtures.audit import audit_rows

TREE = [
    ("360000", "江西省", "province", None),
    ("360100", "南昌市", "prefecture", "360000"),
    ("360700", "赣州市", "prefecture", "360000"),
    ("360781", "瑞金市", "county", "360700"),
]


@pytest.fixture
def db(engine: Engine) -> tuple[Engine, str]:
    with engine.begin() as conn:
        conn.execute(
            insert(regions),
            [dict(code=c, name=n, level=lv, parent_code=p) for c, n, lv, p in TREE],
        )
    return engine, engine.url.render_as_string(hide_password=False)


def run(
    url: str, capsys, *args: str, stdin: str | None = None, monkeypatch=None
) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(["--url", url, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def printed_password(out: str) -> str:
    lines = out.splitlines()
    i = next(i for i, line in enumerate(lines) if "只显示这一次" in line)
    return lines[i + 1].strip()


def every_stored_text(engine: Engine) -> str:
    """All text in app_users and audit_log: where a plaintext password must never be."""
    with engine.connect() as conn:
        rows = conn.execute(select(app_users)).all() + conn.execute(select(audit_log)).all()
    return "\n".join(str(v) for row in rows for v in row)


def test_add_prints_the_password_once_and_stores_only_its_hash(db, capsys):
    engine, url = db
    code, out, err = run(url, capsys, "add", "ruijin01", "--role", "county", "--region", "360781")
    assert code == 0 and err == ""
    assert "已新增用户 ruijin01（县级用户，地区 360781）" in out
    password = printed_password(out)
    assert len(password) == 16 and out.count(password) == 1
    with engine.connect() as conn:
        stored = conn.execute(
            select(app_users.c.password_hash).where(app_users.c.username == "ruijin01")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and accounts.verify_password(stored, password)
    assert password not in every_stored_text(engine)
    actor = audit_rows(engine)[-1]
    assert actor[0].startswith("cli") and actor[1:] == ("user_add", "ruijin01 county 360781")
    # listing shows the account, never a hash or a password
    code, out, _ = run(url, capsys, "list")
    assert code == 0 and "ruijin01" in out and "县级用户" in out and "瑞金市 360781" in out
    assert "$argon2" not in out and password not in out


def test_add_with_a_chosen_password_from_stdin(db, capsys, monkeypatch):
    engine, url = db
    code, out, _ = run(
        url, capsys, "add", "nc_admin", "--role", "admin", "--password-stdin",
        stdin="A chosen passphrase\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0 and "只显示这一次" not in out and "A chosen passphrase" not in out
    assert authentication.authenticate(engine, "nc_admin", "A chosen passphrase").ok
    assert accounts.get_user(engine, "nc_admin").region_code == "360000"


def test_refusals_are_chinese_and_change_nothing(db, capsys):
    engine, url = db
    code, out, err = run(url, capsys, "add", "x1", "--role", "prefecture", "--region", "360781")
    assert code == 2 and out == "" and "设区市" in err
    code, _, err = run(url, capsys, "disable", "nobody")
    assert code == 2 and "用户 nobody 不存在" in err
    assert accounts.count_users(engine) == 0 and audit_rows(engine) == []


def test_disable_enable_reset_unlock_personal(db, capsys):
    engine, url = db
    _, out, _ = run(url, capsys, "add", "nanchang", "--role", "prefecture", "--region", "360100")
    first = printed_password(out)
    assert authentication.authenticate(engine, "nanchang", first).ok

    assert run(url, capsys, "disable", "nanchang")[0] == 0
    assert authentication.authenticate(engine, "nanchang", first).reason == "disabled"
    assert run(url, capsys, "enable", "nanchang")[0] == 0
    assert authentication.authenticate(engine, "nanchang", first).ok

    for _ in range(5):
        authentication.authenticate(engine, "nanchang", "wrong")
    assert authentication.authenticate(engine, "nanchang", first).reason == "locked"
    assert run(url, capsys, "unlock", "nanchang")[0] == 0
    assert authentication.authenticate(engine, "nanchang", first).ok

    code, out, _ = run(url, capsys, "reset", "nanchang")
    second = printed_password(out)
    assert code == 0 and second != first and "会话将失效" in out
    assert not authentication.authenticate(engine, "nanchang", first).ok
    assert authentication.authenticate(engine, "nanchang", second).ok
    assert second not in every_stored_text(engine) and first not in every_stored_text(engine)

    assert not accounts.get_user(engine, "nanchang").can_view_personal
    assert run(url, capsys, "personal", "nanchang", "on")[0] == 0
    assert accounts.get_user(engine, "nanchang").can_view_personal
    assert run(url, capsys, "personal", "nanchang", "off")[0] == 0
    assert not accounts.get_user(engine, "nanchang").can_view_personal

    actions = [(a, t) for _u, a, t in audit_rows(engine)]
    assert actions == [
        ("user_add", "nanchang prefecture 360100"),
        ("user_disable", "nanchang"),
        ("user_enable", "nanchang"),
        ("user_unlock", "nanchang"),
        ("user_reset", "nanchang"),
        ("user_update", "nanchang 未脱敏权限=有"),
        ("user_update", "nanchang 未脱敏权限=无"),
    ]


def test_oidc_only_account(db, capsys):
    engine, url = db
    code, out, _ = run(url, capsys, "add", "li@jx.gov.cn", "--role", "province", "--oidc")
    assert code == 0 and "统一身份认证" in out and "只显示这一次" not in out
    assert not authentication.authenticate(engine, "li@jx.gov.cn", "").ok


def test_list_shows_a_lock(db, capsys):
    engine, url = db
    run(url, capsys, "add", "rj", "--role", "county", "--region", "360781")
    now = audit.utc_now()
    policy = authentication.LockoutPolicy(2, timedelta(minutes=15), timedelta(minutes=15))
    authentication.authenticate(engine, "rj", "wrong", now=now, policy=policy)
    authentication.authenticate(engine, "rj", "wrong", now=now, policy=policy)
    _, out, _ = run(url, capsys, "list")
    assert "启用·已锁定" in out


def test_module_entry_point(tmp_path):
    """`python -m data.users` runs as a program (help in Chinese, exit 0)."""
    done = subprocess.run(
        [sys.executable, "-m", "data.users", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "看板用户管理" in done.stdout and "reset" in done.stdout
