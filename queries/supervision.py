"""督办 (issue 17): the read side — the tasks in a user's scope, each task's history, what
awaits the user, and the counts the 督办 page, 预警, the briefing and its deck share.

Scope is enforced here: a task is in a scope when the region it is addressed to is the
scope or lies under it, so a county sees only its own tasks and a prefecture only those of
its counties (and its own). The figure "now" is the metric in kpi_snapshots for `period`
(the month the user is looking at). Overdue: awaiting an answer (待反馈 or 退回) past the
deadline, as of `today`. Writes are data/supervision.py's. No Streamlit here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from core.metrics import BY_CODE
from core.periods import check_period
from data.schema import kpi_snapshots, supervision_events, supervision_tasks
from data.supervision import (
    ANSWERED,
    AWAITING_ANSWER,
    CLOSED,
    PENDING,
    RETURNED,
    STATUS_LABELS,
    SupervisionError,
)
from queries.regions import ScopeError, within_scope

__all__ = [
    "ANSWERED",
    "CLOSED",
    "COUNT_LABELS",
    "LAST_MEETING_DAYS",
    "PENDING",
    "RETURNED",
    "STATUS_LABELS",
    "TASK_COLUMNS",
    "SupervisionError",
    "counts",
    "history",
    "overdue_mask",
    "since_last_meeting",
    "task_list",
    "to_do",
]

TASK_COLUMNS = [
    "id",
    "region_code",
    "region_name",
    "region_level",
    "prefecture_name",
    "metric",
    "metric_label",
    "matter",
    "period",
    "value_at_issue",
    "gap_at_issue",
    "value_now",
    "requirement",
    "deadline",
    "status",
    "status_label",
    "overdue",
    "days_left",
    "issued_by",
    "issuer_region",
    "issued_at",
    "answer",
    "done_on",
    "answered_at",
    "closed_at",
]


# What every view of 督办 counts (the page, 预警, the briefing, its Word file and the deck),
# in this order: since the last meeting, then as of today.
COUNT_LABELS = {
    "issued": "新发起",
    "answered": "已反馈",
    "closed": "已销号",
    "overdue": "逾期未反馈",
    "open": "待反馈",
    "awaiting_acceptance": "待销号",
}
LAST_MEETING_DAYS = 30  # the meetings are monthly: "since the last meeting" is 30 days


def since_last_meeting(today: date) -> date:
    return today - timedelta(days=LAST_MEETING_DAYS)


def overdue_mask(status: pd.Series, deadline: pd.Series, today: date) -> pd.Series:
    """Awaiting an answer (待反馈 or 退回) with the deadline before `today`."""
    due = pd.to_datetime(deadline).dt.date
    return status.isin(AWAITING_ANSWER) & due.map(lambda d: d is not None and d < today)


def task_list(
    engine: Engine,
    scope: str,
    period: str,
    *,
    status: str | None = None,
    metric: str | None = None,
    prefecture: str | None = None,
    overdue_only: bool = False,
    today: date | None = None,
) -> pd.DataFrame:
    """Tasks addressed to the scope or a region under it (TASK_COLUMNS), newest first;
    filtered by `status`, `metric`, `prefecture` (a prefecture code: its own and its
    counties' tasks) and `overdue_only`. The metric's figure now is read for `period`."""
    check_period(period)
    today = today or date.today()
    t, k = supervision_tasks, kpi_snapshots
    places = within_scope(scope).subquery("places")
    stmt = (
        select(
            t,
            places.c.name.label("region_name"),
            places.c.level.label("region_level"),
            places.c.parent_code.label("parent_code"),
            places.c.parent_name.label("parent_name"),
            k.c.numerator.label("now_n"),
            k.c.value.label("now_v"),
        )
        .join(places, places.c.code == t.c.region_code)
        .outerjoin(
            k,
            and_(
                k.c.region_code == t.c.region_code, k.c.metric == t.c.metric, k.c.period == period
            ),
        )
        .order_by(t.c.issued_at.desc(), t.c.id.desc())
    )
    if status:
        stmt = stmt.where(t.c.status == status)
    if metric:
        stmt = stmt.where(t.c.metric == metric)
    if prefecture:
        stmt = stmt.where((t.c.region_code == prefecture) | (places.c.parent_code == prefecture))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=TASK_COLUMNS)
    out["prefecture_name"] = out["parent_name"].where(
        out["region_level"] == "county", out["region_name"]
    )
    out["metric_label"] = out["metric"].map(lambda m: BY_CODE[m].label if m in BY_CODE else None)
    out["value_now"] = [
        (n if BY_CODE[m].is_total else v) if m in BY_CODE else None
        for m, n, v in zip(out["metric"], out["now_n"], out["now_v"], strict=True)
    ]
    out["value_now"] = pd.to_numeric(out["value_now"], errors="coerce").astype(float)
    out["status_label"] = out["status"].map(STATUS_LABELS)
    out["deadline"] = pd.to_datetime(out["deadline"]).dt.date
    out["overdue"] = overdue_mask(out["status"], out["deadline"], today)
    out["days_left"] = [(d - today).days for d in out["deadline"]]
    if overdue_only:
        out = out[out["overdue"]]
    return out[TASK_COLUMNS].reset_index(drop=True)


def history(engine: Engine, scope: str, period: str, task_id: int) -> pd.DataFrame:
    """A task's events oldest first (at, username, action, body, done_on, deadline);
    ScopeError when the task is not in the scope (or does not exist)."""
    check_period(period)
    places = within_scope(scope).subquery("places")
    t, e = supervision_tasks, supervision_events
    with engine.connect() as conn:
        found = conn.execute(
            select(t.c.id).join(places, places.c.code == t.c.region_code).where(t.c.id == task_id)
        ).first()
        if found is None:
            raise ScopeError(f"task {task_id} is not in scope {scope}")
        rows = conn.execute(
            select(e.c.at, e.c.username, e.c.action, e.c.body, e.c.done_on, e.c.deadline)
            .where(e.c.task_id == task_id)
            .order_by(e.c.at, e.c.id)
        ).all()
    return pd.DataFrame(
        [dict(r._mapping) for r in rows],
        columns=["at", "username", "action", "body", "done_on", "deadline"],
    )


def to_do(engine: Engine, scope: str, period: str) -> dict[str, int]:
    """What awaits the user of `scope`: tasks addressed to the scope itself that await its
    answer (`to_answer`), and answered tasks it issued that await its 销号 or 退回
    (`to_accept`)."""
    check_period(period)
    t = supervision_tasks
    with engine.connect() as conn:
        to_answer = conn.execute(
            select(func.count())
            .select_from(t)
            .where(t.c.region_code == scope, t.c.status.in_(AWAITING_ANSWER))
        ).scalar_one()
        to_accept = conn.execute(
            select(func.count())
            .select_from(t)
            .where(t.c.issuer_region == scope, t.c.status == ANSWERED)
        ).scalar_one()
    return {"to_answer": int(to_answer), "to_accept": int(to_accept)}


def counts(
    engine: Engine, scope: str, period: str, since: date, today: date | None = None
) -> dict[str, int]:
    """The counts every view of 督办 shows, for the tasks in scope: `issued`, `answered`,
    `closed` since `since` (the last meeting; answers counted as answer events, so a task
    answered twice counts twice), `overdue` and `open` (awaiting an answer) and
    `awaiting_acceptance` (answered, not yet closed or returned) as of `today`."""
    tasks = task_list(engine, scope, period, today=today)
    e = supervision_events
    ids = [int(i) for i in tasks["id"]]
    with engine.connect() as conn:
        answers = (
            conn.execute(
                select(func.count())
                .select_from(e)
                .where(
                    e.c.task_id.in_(ids),
                    e.c.action == "answer",
                    e.c.at >= datetime.combine(since, time()),
                )
            ).scalar_one()
            if ids
            else 0
        )
    issued = pd.to_datetime(tasks["issued_at"]).dt.date
    closed = pd.to_datetime(tasks["closed_at"]).dt.date
    return {
        "issued": int((issued >= since).sum()),
        "answered": int(answers),
        "closed": int(closed.map(lambda d: d is not None and not pd.isna(d) and d >= since).sum()),
        "overdue": int(tasks["overdue"].sum()),
        "open": int(tasks["status"].isin(AWAITING_ANSWER).sum()),
        "awaiting_acceptance": int((tasks["status"] == ANSWERED).sum()),
    }
