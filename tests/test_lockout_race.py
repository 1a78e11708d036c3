"""Lock-out under parallel guesses (issue 19.2), on SQLite and PostgreSQL: wrong passwords
sent at once from many threads, each on its own pooled connection as Streamlit sessions
are, get no more verifications than the policy allows before the lock holds.

Before the fix SQLite read the failure count without a lock, so every thread verified its
guess against a count of 0 and about 55 of them got through with a policy of 5.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from data import accounts, authentication
from data.schema import regions
from tests.fixtures.accounts import stored_hash
from tests.fixtures.regions import region_rows
from tests.fixtures.tables import insert_rows

T0 = datetime(2026, 11, 2, 8, 0, 0)
POLICY = authentication.LockoutPolicy(5, timedelta(minutes=15), timedelta(minutes=15))
PARALLEL = 16  # within the 10–20 of the red-team pass, and within the pool (5 + 10 overflow)
RIGHT = "Right-password-1"
TREE = [
    ("360000", "江西省", "province", None),
    ("360700", "赣州市", "prefecture", "360000"),
    ("360781", "瑞金市", "county", "360700"),
]


@pytest.fixture
def zhang(engine: Engine) -> Engine:
    """The migrated database with one county account, zhang, whose password is RIGHT."""
    insert_rows(engine, (regions, region_rows(TREE)))
    accounts.add_user(engine, "zhang", "county", "360781", RIGHT, must_change_password=False)
    return engine


@pytest.fixture
def wrong_verifications(monkeypatch, zhang: Engine) -> list[int]:
    """A one-item list: how many times a guess was checked against zhang's hash and failed
    (the dummy hash of unknown names is not counted)."""
    real, own = accounts.verify_password, stored_hash(zhang, "zhang")
    count, guard = [0], threading.Lock()

    def counting(password_hash: str, password: str) -> bool:
        ok = real(password_hash, password)
        if password_hash == own and not ok:
            with guard:
                count[0] += 1
        return ok

    monkeypatch.setattr(authentication, "verify_password", counting)  # where attempts check
    return count


def at_once(attempt: Callable[[int], object]) -> list:
    """`attempt(i)` for PARALLEL threads released together by a barrier."""
    barrier = threading.Barrier(PARALLEL)

    def run(i: int) -> object:
        barrier.wait()
        return attempt(i)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(run, range(PARALLEL)))


def test_parallel_wrong_passwords_lock_after_max_failures(zhang, wrong_verifications):
    results = at_once(
        lambda i: authentication.authenticate(zhang, "zhang", f"wrong-{i}", now=T0, policy=POLICY)
    )
    assert wrong_verifications[0] == POLICY.max_failures
    assert Counter(r.reason for r in results) == {
        "bad_credentials": POLICY.max_failures - 1,
        "locked_now": 1,
        "locked": PARALLEL - POLICY.max_failures,
    }
    assert not any(r.ok for r in results)
    user = accounts.get_user(zhang, "zhang")
    assert user.locked_until == T0 + POLICY.lock_for and user.is_locked(T0)
    # while locked the right password is refused, and not even checked
    r = authentication.authenticate(
        zhang, "zhang", RIGHT, now=T0 + timedelta(minutes=1), policy=POLICY
    )
    assert not r.ok and r.reason == "locked"
    assert wrong_verifications[0] == POLICY.max_failures


def test_parallel_wrong_old_passwords_lock_after_max_failures(zhang, wrong_verifications):
    """The password change counts a wrong old password like a wrong sign-in (an open session
    must not be a way round the lock-out), so it holds under parallel guesses too."""
    results = at_once(
        lambda i: authentication.change_own_password(
            zhang, "zhang", f"wrong-{i}", "New-password-22", T0, POLICY
        )
    )
    assert wrong_verifications[0] == POLICY.max_failures
    assert not any(ok for ok, _ in results)
    messages = Counter(message for _, message in results)
    assert messages["原密码不正确。"] == POLICY.max_failures - 1
    assert messages["原密码不正确。连续输错次数过多，账号已暂时锁定。"] == 1
    assert sum(n for m, n in messages.items() if "已暂时锁定，请稍后再试" in m) == (
        PARALLEL - POLICY.max_failures
    )
    assert accounts.get_user(zhang, "zhang").is_locked(T0)
    r = authentication.authenticate(zhang, "zhang", RIGHT, now=T0, policy=POLICY)
    assert not r.ok and r.reason == "locked"
