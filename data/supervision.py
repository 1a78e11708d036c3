"""督办 (issue 17): the write side — issue, answer, accept (销号), send back (退回).

A province user issues to a county or a prefecture of the province, a prefecture user to a
county of its prefecture; the county (or prefecture) answers; the issuer's region accepts
or sends back. Every rule is checked here against the acting account as stored in
app_users (never against what a form sent), so a crafted request cannot issue outside the
issuer's region or answer another county's task. Each action writes its event row and an
audit row; texts are kept exactly as written (stripped of surrounding blanks), plain text
(shown escaped by the pages), and length-limited. The figure and gap at issue are read
from kpi_snapshots at the moment of issue, not taken from the caller.

Statuses: pending 待反馈 → answered 已反馈 → closed 已销号, or answered → returned 退回 →
answered … A task is overdue when it awaits an answer (pending or returned) past its
deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine, select

from core.metrics import BY_CODE, gap_count
from data import accounts, audit
from data.schema import kpi_snapshots, regions, supervision_events, supervision_tasks

PENDING, ANSWERED, CLOSED, RETURNED = "pending", "answered", "closed", "returned"
STATUS_LABELS = {PENDING: "待反馈", ANSWERED: "已反馈", CLOSED: "已销号", RETURNED: "退回"}
AWAITING_ANSWER = (PENDING, RETURNED)
EVENT_LABELS = {"issue": "发起", "answer": "反馈", "accept": "销号", "send_back": "退回"}
DEFAULT_DAYS = 30
MAX_REQUIREMENT = 1000
MAX_MATTER = 200
MAX_ANSWER = 2000
MAX_REASON = 500
MAX_BATCH = 200


class SupervisionError(ValueError):
    """A refused action, with the Chinese message the page shows (nothing was written)."""


@dataclass(frozen=True)
class Order:
    """One task to issue: a metric's gap (metric and period) or a free-text matter."""

    region_code: str
    requirement: str
    metric: str | None = None
    period: str | None = None
    matter: str | None = None
    deadline: date | None = None  # default: DEFAULT_DAYS after today


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def clean_text(text: str | None, limit: int, what: str, *, required: bool = True) -> str | None:
    """`text` stripped of surrounding blanks, else SupervisionError: empty when required, or
    longer than `limit` characters. Kept as written otherwise (no HTML is interpreted: the
    pages escape it)."""
    value = (text or "").strip()
    if not value:
        if required:
            raise SupervisionError(f"请填写{what}。")
        return None
    if len(value) > limit:
        raise SupervisionError(f"{what}不能超过 {limit} 字（现在 {len(value)} 字）。")
    if "\x00" in value:
        raise SupervisionError(f"{what}含有无法保存的字符。")
    return value


def _actor(engine: Engine, username: str) -> accounts.User:
    user = accounts.get_user(engine, username)
    if user is None or not user.is_active:
        raise SupervisionError("账号不存在或已停用。")
    return user


def _region(conn: Connection, code: str) -> dict | None:
    row = conn.execute(
        select(regions.c.code, regions.c.name, regions.c.level, regions.c.parent_code).where(
            regions.c.code == code
        )
    ).first()
    return dict(row._mapping) if row else None


def _ancestors(conn: Connection, code: str) -> list[str]:
    """The codes above `code`, nearest first."""
    out: list[str] = []
    here = _region(conn, code)
    while here is not None and here["parent_code"] and len(out) < 6:
        out.append(here["parent_code"])
        here = _region(conn, here["parent_code"])
    return out


def may_issue_to(conn: Connection, issuer: accounts.User, code: str) -> str | None:
    """None when `issuer` may issue to region `code`, else the Chinese reason."""
    if issuer.role not in ("province", "prefecture"):
        return "只有省级、市级用户可以发起督办。"
    target = _region(conn, code)
    if target is None:
        return f"地区代码 {code} 不存在。"
    allowed_levels = ("county", "prefecture") if issuer.role == "province" else ("county",)
    if target["level"] not in allowed_levels:
        return f"{target['name']}不是可督办的{'县（市、区）或设区市' if issuer.role == 'province' else '县（市、区）'}。"
    if issuer.scope not in _ancestors(conn, code):
        return f"{target['name']}不在您的管辖范围内。"
    return None


def _figure(
    conn: Connection, code: str, metric: str, period: str
) -> tuple[float | None, int | None]:
    """The metric's value and its gap (DESIGN.md §4 缺口) in kpi_snapshots for the region and
    period: what the leader saw when issuing."""
    k = kpi_snapshots
    row = conn.execute(
        select(k.c.numerator, k.c.denominator, k.c.value).where(
            k.c.region_code == code, k.c.period == period, k.c.metric == metric
        )
    ).first()
    if row is None:
        return None, None
    m = BY_CODE[metric]
    value = row.numerator if m.is_total else row.value
    value = None if value is None else float(value)
    den = None if row.denominator is None else float(row.denominator)
    return value, gap_count(m, value, den)


def _event(conn: Connection, task_id: int, at: datetime, username: str, action: str, **kw) -> None:
    conn.execute(
        supervision_events.insert().values(
            task_id=task_id, at=at, username=username, action=action, **kw
        )
    )


def issue(
    engine: Engine,
    username: str,
    orders: Sequence[Order],
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Issue every order in one transaction (all or none) as `username`; the new task ids
    in order. SupervisionError names the first refused order."""
    if not orders:
        raise SupervisionError("请至少选择一个督办对象。")
    if len(orders) > MAX_BATCH:
        raise SupervisionError(f"一次最多发起 {MAX_BATCH} 件督办。")
    issuer = _actor(engine, username)
    today = today or date.today()
    now = now or utc_now()
    ids: list[int] = []
    with engine.begin() as conn:
        for o in orders:
            refused = may_issue_to(conn, issuer, o.region_code)
            if refused:
                raise SupervisionError(refused)
            requirement = clean_text(o.requirement, MAX_REQUIREMENT, "整改要求")
            matter = clean_text(o.matter, MAX_MATTER, "督办事项", required=o.metric is None)
            if o.metric is not None and o.metric not in BY_CODE:
                raise SupervisionError(f"未知指标 {o.metric}。")
            if o.metric is not None and not o.period:
                raise SupervisionError("请注明督办所依据的月份。")
            deadline = o.deadline or today + timedelta(days=DEFAULT_DAYS)
            if deadline < today:
                raise SupervisionError("办理期限不能早于今天。")
            value, gap = (
                _figure(conn, o.region_code, o.metric, o.period) if o.metric else (None, None)
            )
            task_id = conn.execute(
                supervision_tasks.insert()
                .values(
                    region_code=o.region_code,
                    metric=o.metric,
                    matter=matter,
                    period=o.period,
                    value_at_issue=value,
                    gap_at_issue=gap,
                    requirement=requirement,
                    deadline=deadline,
                    status=PENDING,
                    issued_by=issuer.username,
                    issuer_region=issuer.scope,
                    issued_at=now,
                    updated_at=now,
                )
                .returning(supervision_tasks.c.id)
            ).scalar_one()
            _event(
                conn, task_id, now, issuer.username, "issue", body=requirement, deadline=deadline
            )
            ids.append(task_id)
    audit.record(engine, issuer.username, "supervise", _target("发起", ids), at=now)
    return ids


def _target(verb: str, ids: Sequence[int]) -> str:
    shown = "、".join(f"#{i}" for i in ids[:30])
    return f"督办{verb} {len(ids)} 件：{shown}" + ("…" if len(ids) > 30 else "")


def _task(conn: Connection, task_id: int) -> dict:
    row = conn.execute(
        select(supervision_tasks).where(supervision_tasks.c.id == task_id).with_for_update()
    ).first()
    if row is None:
        raise SupervisionError(f"督办事项 #{task_id} 不存在。")
    return dict(row._mapping)


def _move(
    engine: Engine,
    user: accounts.User,
    task_id: int,
    allowed: Callable[[accounts.User, dict], None],
    action: str,
    values: dict,
    now: datetime,
    **event,
) -> None:
    """One step of a task: `allowed` checks the locked row (SupervisionError), then the new
    values, the event and (after the commit) the audit row."""
    with engine.begin() as conn:
        allowed(user, _task(conn, task_id))
        conn.execute(
            supervision_tasks.update()
            .where(supervision_tasks.c.id == task_id)
            .values(updated_at=now, **values)
        )
        _event(conn, task_id, now, user.username, action, **event)
    verb = EVENT_LABELS[action]
    audit.record(engine, user.username, "supervise", _target(verb, [task_id]), at=now)


def _addressee_side(user: accounts.User, t: dict) -> None:
    if user.role not in ("county", "prefecture") or user.scope != t["region_code"]:
        raise SupervisionError("只有被督办地区的用户可以反馈。")
    if t["status"] not in AWAITING_ANSWER:
        raise SupervisionError(f"该督办事项{STATUS_LABELS[t['status']]}，不能再反馈。")


def _issuer_side(user: accounts.User, t: dict) -> None:
    if user.role not in ("province", "prefecture") or user.scope != t["issuer_region"]:
        raise SupervisionError("只有发起督办的地区的用户可以销号或退回。")
    if t["status"] != ANSWERED:
        raise SupervisionError(
            f"该督办事项{STATUS_LABELS[t['status']]}，只有已反馈的事项可以销号或退回。"
        )


def answer(
    engine: Engine,
    username: str,
    task_id: int,
    text: str,
    done_on: date | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """The county's (or prefecture's) answer: what was done and by when. Only a user of the
    region the task is addressed to, while it awaits an answer."""
    user = _actor(engine, username)
    body = clean_text(text, MAX_ANSWER, "反馈内容")
    now = now or utc_now()
    values = {"status": ANSWERED, "answer": body, "done_on": done_on, "answered_at": now}
    _move(engine, user, task_id, _addressee_side, "answer", values, now, body=body, done_on=done_on)


def accept(engine: Engine, username: str, task_id: int, *, now: datetime | None = None) -> None:
    """销号: the issuer's region accepts the answer and closes the task."""
    user = _actor(engine, username)
    now = now or utc_now()
    _move(engine, user, task_id, _issuer_side, "accept", {"status": CLOSED, "closed_at": now}, now)


def send_back(
    engine: Engine,
    username: str,
    task_id: int,
    reason: str,
    deadline: date | None = None,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> None:
    """退回: the issuer's region sends the answer back with a reason (and a new deadline,
    default DEFAULT_DAYS from today); the task awaits a new answer."""
    user = _actor(engine, username)
    body = clean_text(reason, MAX_REASON, "退回理由")
    today = today or date.today()
    deadline = deadline or today + timedelta(days=DEFAULT_DAYS)
    if deadline < today:
        raise SupervisionError("新的办理期限不能早于今天。")
    now = now or utc_now()
    values = {"status": RETURNED, "deadline": deadline}
    _move(
        engine, user, task_id, _issuer_side, "send_back", values, now, body=body, deadline=deadline
    )
