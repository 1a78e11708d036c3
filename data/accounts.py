"""Accounts in `app_users` (DESIGN.md §6): roles, scopes, password hashes; sign-in attempts,
lock-out and the user's own password change are data/authentication.py.

Passwords are stored only as Argon2id hashes (argon2-cffi: salted, slow, memory-hard; never
hand-rolled). A password leaves this module only when it was generated here, once, for the
caller to hand to the user (the CLI prints it, the demo prints it to the server console).

Password rules (`password_problems`, the one check every path that sets a password runs:
add_user, reset_password, change_own_password, hence the CLI and the users page): at least
10 characters, at least three of the four classes upper case / lower case / digit / symbol
(anything else, a space included, so passphrases count), and not containing the username
(case-insensitive). Generated passwords always pass. A password an administrator sets
(generated or chosen, on creation or reset) carries `must_change_password`: the user must
replace it at the first sign-in (`authentication.change_own_password`, which clears the
flag). Times are UTC without a zone. No Streamlit here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, func, insert, select, update

from data import sessions
from data.audit import utc_now
from data.config import province_code
from data.schema import app_users, regions

__all__ = [
    "ROLES",
    "ROLE_LABELS",
    "User",
    "UserError",
    "add_user",
    "count_users",
    "demo_region",
    "generate_password",
    "get_oidc_user",
    "get_user",
    "hash_password",
    "list_users",
    "password_problems",
    "reset_password",
    "set_active",
    "set_personal_permission",
    "unlock",
    "verify_password",
]

ROLES: tuple[str, ...] = ("province", "prefecture", "county", "admin")
ROLE_LABELS: dict[str, str] = {
    "province": "省级用户",
    "prefecture": "市级用户",
    "county": "县级用户",
    "admin": "系统管理员",
}
# The region level each role's account must point at (admin: the province).
ROLE_LEVEL: dict[str, str] = {
    "province": "province",
    "prefecture": "prefecture",
    "county": "county",
    "admin": "province",
}
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{1,63}$")
MIN_PASSWORD = 10
NO_PASSWORD = "!"  # noqa: S105 — stored hash of an OIDC-only account: never verifies

_hasher = PasswordHasher()  # Argon2id, argon2-cffi's current defaults (RFC 9106 low-memory)
# Verified against for unknown usernames, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A refused account change; the message is Chinese, for the CLI or the admin page."""


@dataclass(frozen=True)
class User:
    """An account without its hash."""

    username: str
    role: str
    region_code: str | None
    is_active: bool
    can_view_personal: bool
    failed_attempts: int
    failed_since: datetime | None
    locked_until: datetime | None
    password_changed_at: datetime | None
    last_sign_in_at: datetime | None
    # The password was set by an administrator (or generated): replace it before anything else.
    must_change_password: bool

    @property
    def scope(self) -> str:
        """The region whose subtree the user may see (admin without a region: the province)."""
        return self.region_code or province_code()

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


# ---------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    """An Argon2id hash with a fresh random salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True only when `password` matches; a malformed or OIDC-only hash never matches."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


PASSWORD_CLASSES = 3  # of the four: upper case, lower case, digit, symbol
PASSWORD_RULE = (
    f"密码至少 {MIN_PASSWORD} 个字符，包含大写字母、小写字母、数字、符号中的至少"
    f" {PASSWORD_CLASSES} 类，且不能包含用户名。"
)


def _char_class(c: str) -> str:
    if c.isupper():
        return "upper"
    if c.islower():
        return "lower"
    if c.isdecimal():
        return "digit"
    return "symbol"  # punctuation, a space, any other character


def password_problems(password: str, username: str) -> list[str]:
    """Why `password` may not be set for `username` (Chinese, one sentence each); empty when
    it is acceptable. The one policy check: every path that sets a password calls it, and a
    form can call it to explain a refusal before submitting."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"密码至少 {MIN_PASSWORD} 个字符（现有 {len(password)} 个）。")
    classes = {_char_class(c) for c in password}
    if len(classes) < PASSWORD_CLASSES:
        problems.append(
            f"密码须包含大写字母、小写字母、数字、符号中的至少 {PASSWORD_CLASSES} 类"
            f"（现有 {len(classes)} 类）。"
        )
    name = (username or "").strip().casefold()
    if name and name in password.casefold():
        problems.append("密码不能包含用户名（不区分大小写）。")
    return problems


def _check_password(password: str, username: str) -> None:
    problems = password_problems(password, username)
    if problems:
        raise UserError("".join(problems))


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # no 0/O, 1/l/I


def generate_password(username: str = "") -> str:
    """16 random characters from an alphabet without look-alikes (0/O, 1/l/I), drawn again
    until they pass `password_problems` for `username` (about one draw in ten lacks a digit;
    rejection keeps every acceptable password equally likely)."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        if not password_problems(password, username):
            return password


# ---------------------------------------------------------------- reading


def _user(row) -> User:
    m = row._mapping
    return User(
        username=m["username"],
        role=m["role"],
        region_code=m["region_code"],
        is_active=bool(m["is_active"]),
        can_view_personal=bool(m["can_view_personal"]),
        failed_attempts=int(m["failed_attempts"] or 0),
        failed_since=m["failed_since"],
        locked_until=m["locked_until"],
        password_changed_at=m["password_changed_at"],
        last_sign_in_at=m["last_sign_in_at"],
        must_change_password=bool(m["must_change_password"]),
    )


_USER_COLS = [c for c in app_users.c if c.name != "password_hash"]


def get_user(engine: Engine, username: str) -> User | None:
    """The account, or None when no such username exists."""
    with engine.connect() as conn:
        row = conn.execute(select(*_USER_COLS).where(app_users.c.username == username)).first()
    return _user(row) if row else None


def get_oidc_user(engine: Engine, username: str) -> User | None:
    """The account a single-sign-on identity names (components/oidc.py): only one created
    with `oidc_only` (its hash is NO_PASSWORD), else None. An identity provider, or whoever
    can choose their name there, must not sign in as a password account (issue 19.3); a
    password set on such an account later (reset_password) makes it a password account."""
    stmt = select(*_USER_COLS).where(
        app_users.c.username == username, app_users.c.password_hash == NO_PASSWORD
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return _user(row) if row else None


def count_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(app_users)).scalar_one())


def list_users(engine: Engine) -> pd.DataFrame:
    """Every account with its region's name, never the hash: username, role, region_code,
    region_name, is_active, can_view_personal, failed_attempts, locked_until,
    password_changed_at, last_sign_in_at, must_change_password."""
    stmt = (
        select(*_USER_COLS, regions.c.name.label("region_name"))
        .select_from(app_users.outerjoin(regions, regions.c.code == app_users.c.region_code))
        .order_by(app_users.c.role, app_users.c.region_code, app_users.c.username)
    )
    cols = [
        "username",
        "role",
        "region_code",
        "region_name",
        "is_active",
        "can_view_personal",
        "failed_attempts",
        "locked_until",
        "password_changed_at",
        "last_sign_in_at",
        "must_change_password",
    ]
    with engine.connect() as conn:
        rows = [r._mapping for r in conn.execute(stmt)]
    df = pd.DataFrame([{c: r[c] for c in cols} for r in rows], columns=cols)
    for c in ("is_active", "can_view_personal", "must_change_password"):
        df[c] = df[c].astype(bool)
    return df


# ---------------------------------------------------------------- changes


def _check_region(conn: Connection, role: str, region_code: str | None) -> str:
    """The region an account of `role` points at: it must exist at the role's level."""
    if role not in ROLES:
        raise UserError(f"角色必须是 {'、'.join(ROLES)} 之一，而不是 {role!r}。")
    if region_code is None:
        if role not in ("province", "admin"):
            raise UserError("市级、县级用户必须指定所属地区代码。")
        region_code = province_code()
    level = conn.execute(select(regions.c.level).where(regions.c.code == region_code)).scalar()
    if level is None:
        raise UserError(f"地区代码 {region_code} 不存在。")
    if level != ROLE_LEVEL[role]:
        raise UserError(
            f"{ROLE_LABELS[role]}的所属地区必须是{_LEVEL_NAMES[ROLE_LEVEL[role]]}，"
            f"{region_code} 是{_LEVEL_NAMES.get(level, level)}。"
        )
    return region_code


_LEVEL_NAMES = {
    "province": "省",
    "prefecture": "设区市",
    "county": "县（市、区）",
    "township": "乡镇（街道）",
    "village": "村（居）",
}


def add_user(
    engine: Engine,
    username: str,
    role: str,
    region_code: str | None = None,
    password: str | None = None,
    *,
    can_view_personal: bool = False,
    oidc_only: bool = False,
    must_change_password: bool = True,
    now: datetime | None = None,
) -> str | None:
    """Create an account and return its password: the given one, or a generated one (shown
    to the caller once, stored only hashed). With `oidc_only` the account has no password
    (it signs in through the OIDC provider only, and only such accounts can: get_oidc_user)
    and None is returned.

    The password is an administrator's, not the user's, so by default it must be changed at
    the first sign-in. Only synthetic accounts pass `must_change_password=False`: the demo
    accounts (components/signin.ensure_demo_accounts; their passwords go to the console of
    a demo server) and test accounts. An OIDC-only account has no password to change."""
    if not USERNAME_RE.match(username or ""):
        raise UserError("用户名须为 2–64 位字母、数字或 _ . @ -，且以字母或数字开头。")
    if oidc_only:
        password, password_hash = None, NO_PASSWORD
    else:
        password = password if password is not None else generate_password(username)
        _check_password(password, username)
        password_hash = hash_password(password)
    with engine.begin() as conn:
        region_code = _check_region(conn, role, region_code)
        exists = conn.execute(
            select(app_users.c.username).where(app_users.c.username == username)
        ).first()
        if exists:
            raise UserError(f"用户 {username} 已存在。")
        conn.execute(
            insert(app_users),
            {
                "username": username,
                "password_hash": password_hash,
                "role": role,
                "region_code": region_code,
                "is_active": True,
                "can_view_personal": bool(can_view_personal),
                "failed_attempts": 0,
                "password_changed_at": now or utc_now(),
                "must_change_password": bool(must_change_password) and not oidc_only,
            },
        )
    return password


def _update(engine: Engine, username: str, values: dict) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            update(app_users).where(app_users.c.username == username).values(**values)
        )
        if done.rowcount == 0:
            raise UserError(f"用户 {username} 不存在。")


def set_active(engine: Engine, username: str, active: bool) -> None:
    """Disable (False) or re-enable (True) an account; a disabled one cannot sign in and its
    sessions end at once (every open tab shows the sign-in at its next page run)."""
    _update(engine, username, {"is_active": bool(active)})
    if not active:
        sessions.end_all(engine, username, "disabled", utc_now())


def end_sessions(engine: Engine, username: str) -> int:
    """An administrator ends every session of `username` (强制下线): each open tab shows the
    sign-in at its next run. Returns how many were live; UserError for an unknown account."""
    if get_user(engine, username) is None:
        raise UserError(f"用户 {username} 不存在。")
    return sessions.end_all(engine, username, "admin", utc_now())


def set_personal_permission(engine: Engine, username: str, allowed: bool) -> None:
    """Grant or withdraw the permission to see unmasked personal data (always audited)."""
    _update(engine, username, {"can_view_personal": bool(allowed)})


def unlock(engine: Engine, username: str) -> None:
    """Clear a lock-out and the failure count."""
    _update(engine, username, {"failed_attempts": 0, "failed_since": None, "locked_until": None})


def reset_password(
    engine: Engine,
    username: str,
    password: str | None = None,
    now: datetime | None = None,
    *,
    must_change_password: bool = True,
) -> str:
    """Set a new password (given, or generated and returned once); also clears a lock-out.
    The user's sessions end at once (open tabs at their next run). Like `add_user`, the
    password is an administrator's: it must be changed at the first sign-in unless
    `must_change_password=False` (synthetic accounts only)."""
    password = password if password is not None else generate_password(username)
    _check_password(password, username)
    _update(
        engine,
        username,
        {
            "password_hash": hash_password(password),
            "password_changed_at": now or utc_now(),
            "must_change_password": bool(must_change_password),
            "failed_attempts": 0,
            "failed_since": None,
            "locked_until": None,
        },
    )
    sessions.end_all(engine, username, "password_reset", now or utc_now())
    return password


# ---------------------------------------------------------------- demo accounts


def demo_region(engine: Engine, role: str, preferred: str | None = None) -> str | None:
    """The region a demo account of `role` points at: `preferred` when the database holds
    it at the role's level, else the first such region by code (for a county: one that has
    townships, so its views have something to show); None when there is none."""
    level = ROLE_LEVEL[role]
    if preferred is None and level == "province":
        preferred = province_code()
    with engine.connect() as conn:
        if preferred is not None:
            found = conn.execute(
                select(regions.c.code).where(regions.c.code == preferred, regions.c.level == level)
            ).scalar()
            if found:
                return found
        stmt = select(regions.c.code).where(regions.c.level == level)
        if level == "county":
            towns = regions.alias("towns")
            stmt = stmt.where(
                select(towns.c.code).where(towns.c.parent_code == regions.c.code).exists()
            )
        return conn.execute(stmt.order_by(regions.c.code).limit(1)).scalar()
