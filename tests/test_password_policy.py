"""The password rules (issue 15 part 4) and the first-sign-in change, on SQLite and PostgreSQL:
`accounts.password_problems` (at least 10 characters, three of upper/lower/digit/symbol, not
the username inside, case-insensitively) guards every path that sets a password; generated
passwords always pass; a password an administrator sets (function or CLI, created or reset)
carries must_change_password, which only the user's own change clears."""

from __future__ import annotations

import io
import re
import sys
from datetime import datetime, timedelta
from itertools import combinations

import pytest
from sqlalchemy import Engine

from data import accounts, authentication
from data import users as cli
from data.schema import regions
from tests.fixtures.accounts import stored_hash
from tests.fixtures.regions import region_rows
from tests.fixtures.tables import insert_rows

T0 = datetime(2026, 11, 2, 8, 0, 0)
POLICY = authentication.LockoutPolicy(5, timedelta(minutes=15), timedelta(minutes=15))
CJK = re.compile(r"[\u4e00-\u9fff]")
TREE = [
    ("360000", "江西省", "province", None),
    ("360700", "赣州市", "prefecture", "360000"),
    ("360781", "瑞金市", "county", "360700"),
]
# One sample of each class, four characters long (so three of them make 12 characters).
CLASS_SAMPLES = {"upper": "QWRT", "lower": "mnpq", "digit": "2468", "symbol": "#-_!"}


@pytest.fixture
def db(engine: Engine) -> Engine:
    return insert_rows(engine, (regions, region_rows(TREE)))


def flag(engine: Engine, username: str) -> bool:
    return accounts.get_user(engine, username).must_change_password


# ---------------------------------------------------------------- the rules


def test_ten_characters_pass_nine_do_not():
    assert accounts.password_problems("Abcdefgh12", "zhang") == []
    problems = accounts.password_problems("Abcdefgh1", "zhang")
    assert len(problems) == 1 and "至少 10 个字符" in problems[0] and "现有 9 个" in problems[0]
    assert accounts.password_problems("", "zhang")[0].startswith("密码至少 10 个字符")


@pytest.mark.parametrize("classes", list(combinations(CLASS_SAMPLES, 3)), ids="+".join)
def test_any_three_classes_pass(classes):
    assert accounts.password_problems("".join(CLASS_SAMPLES[c] for c in classes), "zhang") == []


@pytest.mark.parametrize("classes", list(combinations(CLASS_SAMPLES, 2)), ids="+".join)
def test_two_classes_are_refused_however_long(classes):
    password = "".join(CLASS_SAMPLES[c] for c in classes) * 3  # 24 characters
    problems = accounts.password_problems(password, "zhang")
    assert len(problems) == 1 and "至少 3 类" in problems[0] and "现有 2 类" in problems[0]


def test_what_counts_as_a_symbol():
    # a space or any character that is neither a letter nor a digit: passphrases pass
    assert accounts.password_problems("correct horse 123", "zhang") == []
    assert accounts.password_problems("留守儿童关爱abc123", "zhang") == []
    assert accounts.password_problems("correcthorse123", "zhang") != []


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("zhang", "Xzhang-2026"),
        ("zhang", "XZHANG-2026"),  # case-insensitive
        ("Zhang", "2026-zHaNg!"),
        ("ruijin01", "Abc-RUIJIN01-x"),
        ("li@jx.gov.cn", "Pw1-li@JX.gov.cn"),
    ],
)
def test_the_username_may_not_be_inside(username, password):
    problems = accounts.password_problems(password, username)
    assert problems == ["密码不能包含用户名（不区分大小写）。"]
    assert accounts.password_problems(password, "someone") == []  # fine for another user


def test_every_problem_is_named_in_chinese():
    problems = accounts.password_problems("zhang", "zhang")
    assert len(problems) == 3
    assert all(CJK.search(p) and p.endswith("。") for p in problems)


def test_generated_passwords_always_pass():
    for username in ("ab", "zhang", "demo_province", "apptest_county_360112", "A2"):
        for _ in range(500):
            password = accounts.generate_password(username)
            assert len(password) == 16
            assert accounts.password_problems(password, username) == [], (username, password)
    assert accounts.password_problems(accounts.generate_password(), "") == []


def test_a_generated_draw_that_fails_is_drawn_again(monkeypatch):
    """The first draw lacks a digit (two classes); the generator draws again."""
    draws = iter("abcdefghijkmnopq" + "ABCDEFGHJKLMNPQR" + "Abcdefghijkmnop2")
    monkeypatch.setattr(accounts.secrets, "choice", lambda _alphabet: next(draws))
    assert accounts.generate_password("zhang") == "Abcdefghijkmnop2"


# ---------------------------------------------------------------- every path that sets one


def test_add_and_reset_refuse_what_the_policy_refuses(db):
    for password in ("Short-1", "alllowercase-but-long", "Zhang-2026-x"):
        with pytest.raises(accounts.UserError) as refused:
            accounts.add_user(db, "zhang", "county", "360781", password)
        assert str(refused.value) == "".join(accounts.password_problems(password, "zhang"))
    assert accounts.get_user(db, "zhang") is None
    accounts.add_user(db, "zhang", "county", "360781", "Right-pass-1")
    before = stored_hash(db, "zhang")
    with pytest.raises(accounts.UserError, match="用户名"):
        accounts.reset_password(db, "zhang", "my-ZHANG-1")
    assert stored_hash(db, "zhang") == before
    assert authentication.authenticate(db, "zhang", "Right-pass-1", now=T0, policy=POLICY).ok


def test_the_flag_is_set_by_create_and_reset(db):
    generated = accounts.add_user(db, "gen", "county", "360781")
    accounts.add_user(db, "chosen", "county", "360781", "Picked-pass-1")
    accounts.add_user(db, "sso", "county", "360781", oidc_only=True)
    accounts.add_user(db, "synthetic", "province", must_change_password=False)
    assert [flag(db, u) for u in ("gen", "chosen", "sso", "synthetic")] == [
        True,
        True,
        False,  # no password to change
        False,
    ]
    # the record a sign-in returns carries it, as does the table of accounts
    signed_in = authentication.authenticate(db, "gen", generated, now=T0, policy=POLICY)
    assert signed_in.ok and signed_in.user.must_change_password
    table = accounts.list_users(db).set_index("username")["must_change_password"]
    assert table.to_dict() == {"gen": True, "chosen": True, "sso": False, "synthetic": False}
    # a reset sets it again, also on an account that had none
    accounts.reset_password(db, "synthetic")
    assert flag(db, "synthetic")
    accounts.reset_password(db, "synthetic", must_change_password=False)
    assert not flag(db, "synthetic")


# ---------------------------------------------------------------- the CLI


def run_cli(engine: Engine, capsys, monkeypatch, *args: str, stdin: str | None = None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    url = engine.url.render_as_string(hide_password=False)
    code = cli.main(["--url", url, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def printed_password(out: str) -> str:
    lines = out.splitlines()
    return lines[next(i for i, line in enumerate(lines) if "只显示这一次" in line) + 1].strip()


def test_cli_add_and_reset_set_the_flag(db, capsys, monkeypatch):
    code, out, _ = run_cli(db, capsys, monkeypatch, "add", "rj01", "--role", "county",
                           "--region", "360781")  # fmt: skip
    password = printed_password(out)
    assert code == 0 and "首次登录时须修改" in out and flag(db, "rj01")
    assert accounts.password_problems(password, "rj01") == []
    code, out, _ = run_cli(db, capsys, monkeypatch, "add", "admin2", "--role", "admin",
                           "--password-stdin", stdin="Chosen-pass-1\n")  # fmt: skip
    assert code == 0 and "首次登录时须修改" in out and "只显示这一次" not in out
    assert flag(db, "admin2")
    # the user changes it; an admin's reset sets the flag again
    assert authentication.change_own_password(db, "rj01", password, "Own-choice-2026", T0)[0]
    assert not flag(db, "rj01")
    code, out, _ = run_cli(db, capsys, monkeypatch, "reset", "rj01")
    assert code == 0 and "首次登录时须修改" in out and flag(db, "rj01")
    code, out, _ = run_cli(db, capsys, monkeypatch, "list")
    header, *rows = out.splitlines()
    assert "须改密码" in header
    assert all(re.search(r"\s是\s", row) for row in rows) and len(rows) == 2


def test_cli_refuses_a_chosen_password_against_the_policy(db, capsys, monkeypatch):
    code, out, err = run_cli(db, capsys, monkeypatch, "add", "rj02", "--role", "county",
                             "--region", "360781", "--password-stdin",
                             stdin="only lowercase words\n")  # fmt: skip
    assert code == 2 and out == "" and "至少 3 类" in err
    assert accounts.get_user(db, "rj02") is None
    accounts.add_user(db, "rj02", "county", "360781", "Right-pass-1")
    code, _, err = run_cli(db, capsys, monkeypatch, "reset", "rj02", "--password-stdin",
                           stdin="RJ02-and-more\n")  # fmt: skip
    assert code == 2 and "用户名" in err
    assert authentication.authenticate(db, "rj02", "Right-pass-1", now=T0, policy=POLICY).ok


def test_cli_add_with_an_empty_stdin_line_prints_the_generated_password(db, capsys, monkeypatch):
    code, out, _ = run_cli(db, capsys, monkeypatch, "add", "rj03", "--role", "county",
                           "--region", "360781", "--password-stdin", stdin="\n")  # fmt: skip
    assert code == 0
    assert authentication.authenticate(db, "rj03", printed_password(out), now=T0, policy=POLICY).ok


# ---------------------------------------------------------------- the user's own change


@pytest.fixture
def forced(db) -> tuple[Engine, str]:
    """An account with an administrator's password, to be changed at the first sign-in."""
    return db, accounts.add_user(db, "zhang", "county", "360781", "Admin-given-1", now=T0)


def test_change_own_password_clears_the_flag(forced):
    db, old = forced
    at = T0 + timedelta(hours=1)
    assert authentication.change_own_password(db, "zhang", old, "My own pass 2026", at) == (
        True,
        "密码已修改。",
    )
    user = accounts.get_user(db, "zhang")
    assert not user.must_change_password
    # exactly `at`: a session the caller restarts at `at` is not older than the change
    assert user.password_changed_at == at
    assert authentication.authenticate(db, "zhang", "My own pass 2026", now=at, policy=POLICY).ok
    assert not authentication.authenticate(db, "zhang", old, now=at, policy=POLICY).ok


def test_change_refuses_a_wrong_old_password_and_keeps_the_flag(forced):
    db, _old = forced
    before = stored_hash(db, "zhang")
    ok, message = authentication.change_own_password(
        db, "zhang", "Not-the-old-1", "My own pass 2026", T0
    )
    assert not ok and message == "原密码不正确。"
    user = accounts.get_user(db, "zhang")
    assert user.must_change_password and user.password_changed_at == T0
    assert stored_hash(db, "zhang") == before


def test_wrong_old_passwords_count_towards_the_lock_out(forced):
    db, old = forced
    messages = [
        authentication.change_own_password(db, "zhang", "wrong", "My own pass 2026", T0, POLICY)[1]
        for _ in range(5)
    ]
    assert messages[:4] == ["原密码不正确。"] * 4 and "锁定" in messages[4]
    # while locked even the right old password is refused
    ok, message = authentication.change_own_password(
        db, "zhang", old, "My own pass 2026", T0, POLICY
    )
    assert not ok and "锁定" in message and flag(db, "zhang")


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("Short-1", "至少 10 个字符"),
        ("only lowercase words", "至少 3 类"),
        ("New-ZHANG-2026", "用户名"),
        ("Admin-given-1", "不能与原密码相同"),
    ],
)
def test_change_refuses_a_policy_failure_and_keeps_the_flag(forced, new, expected):
    db, old = forced
    before = stored_hash(db, "zhang")
    ok, message = authentication.change_own_password(db, "zhang", old, new, T0 + timedelta(hours=1))
    assert not ok and expected in message and CJK.search(message)
    user = accounts.get_user(db, "zhang")
    assert user.must_change_password and user.password_changed_at == T0
    assert stored_hash(db, "zhang") == before


def test_change_refuses_unknown_disabled_and_oidc_only_accounts(db):
    ok, message = authentication.change_own_password(db, "nobody", "x", "My own pass 2026", T0)
    assert not ok and "不存在或已停用" in message
    accounts.add_user(db, "off", "county", "360781", "Admin-given-1")
    accounts.set_active(db, "off", False)
    ok, message = authentication.change_own_password(
        db, "off", "Admin-given-1", "My own pass 2026", T0
    )
    assert not ok and "不存在或已停用" in message and flag(db, "off")
    accounts.add_user(db, "sso", "county", "360781", oidc_only=True)
    ok, _ = authentication.change_own_password(db, "sso", "", "My own pass 2026", T0)
    assert not ok and stored_hash(db, "sso") == accounts.NO_PASSWORD
