"""督办 where a gap is seen (issue 17): the "发起督办" button and its dialog, shared by 预警,
红黑榜, 县区详情 and the briefing's 跌破目标 list, and the county's "待反馈" notice.

The caller hands over the gaps it shows as candidates (region, metric, period, figures as
shown); the dialog lists them ticked, with one requirement text and one deadline for all —
issuing many after a meeting is the common case — and issues them in one step through
data/supervision.py, which re-checks every rule against the signed-in account. A refused
issue leaves the dialog open with the reason and everything typed kept.

Supervision figures are read uncached (components/db.py caches by data version, which a
task does not change); the tables are small.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from components import auth, db
from components.format import md_text
from data import supervision as sv
from queries import supervision as q

log = logging.getLogger(__name__)
PAGE = "pages/supervision.py"
DONE_KEY = "_supervise_done"  # the message of the last issue, shown once after the dialog closes
DEFAULT_REQUIREMENT = (
    "请对照所列指标缺口，制定整改措施，于办理期限前整改到位，并在系统中反馈整改情况。"
)
CANDIDATE_COLUMNS = [
    "region_code",
    "name",
    "parent_name",
    "metric",
    "matter",
    "period",
    "shown",
    "gap",
]


def may_issue(url: str) -> bool:
    user = auth.current_user(url)
    return user is not None and user.role in ("province", "prefecture")


def issuable(url: str, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows (with a `level` column) the signed-in user may issue to: counties, and for a
    province user prefectures too (data/supervision.py checks again)."""
    user = auth.current_user(url)
    if user is None or user.role not in ("province", "prefecture"):
        return rows.iloc[0:0]
    levels = ("county", "prefecture") if user.role == "province" else ("county",)
    return rows[rows["level"].isin(levels)]


def candidates_frame(
    rows: pd.DataFrame,
    period: str,
    shown: pd.Series | None = None,
    matter: pd.Series | None = None,
) -> pd.DataFrame:
    """Candidates from a frame with code, name and optionally parent_name, metric and gap
    columns (the alert, crossing and ranking lists): CANDIDATE_COLUMNS, one row per region
    and metric. Without a metric a row needs its `matter` (e.g. a composite rank)."""

    def column(name: str, given: pd.Series | None = None) -> pd.Series:
        if given is not None:
            return given.reindex(rows.index)
        return rows[name] if name in rows else pd.Series([None] * len(rows), index=rows.index)

    out = pd.DataFrame(
        {
            "region_code": rows["code"].astype(str),
            "name": rows["name"],
            "parent_name": column("parent_name"),
            "metric": column("metric"),
            "matter": column("matter", matter),
            "period": period,
            "shown": column("shown", shown),
            "gap": column("gap"),
        }
    )
    return out.drop_duplicates(["region_code", "metric", "matter"]).reset_index(drop=True)


def show_done() -> None:
    """The outcome of an issue made in the dialog (shown once, on the page that opened it)."""
    done = st.session_state.pop(DONE_KEY, None)
    if done:
        st.success(done, icon=":material/assignment_turned_in:")
        st.page_link(PAGE, label="查看督办事项", icon=":material/assignment:")


@st.dialog("发起督办", width="large")
def _issue_dialog(url: str, candidates: pd.DataFrame, key: str) -> None:
    from core.metrics import BY_CODE

    st.caption(
        "勾选要督办的地区和指标；整改要求和办理期限对所选各项相同。发起后各地在“督办”页反馈。"
    )
    table = pd.DataFrame(
        {
            "选择": True,
            "地区": candidates["name"],
            "所属": candidates["parent_name"].fillna("—"),
            "督办事项": [
                BY_CODE[m].label if m in BY_CODE else (t or "—")
                for m, t in zip(candidates["metric"], candidates["matter"], strict=True)
            ],
            "当时数值": candidates["shown"].fillna(""),
            "缺口": candidates["gap"].map(
                lambda g: "—" if g is None or pd.isna(g) else f"{int(g):,}"
            ),
        }
    )
    edited = st.data_editor(
        table,
        hide_index=True,
        disabled=["地区", "所属", "督办事项", "当时数值", "缺口"],
        key=f"{key}_pick",
        height=min(38 * (len(table) + 1), 420),
    )
    requirement = st.text_area(
        "整改要求", value=DEFAULT_REQUIREMENT, max_chars=sv.MAX_REQUIREMENT, key=f"{key}_req"
    )
    today = date.today()
    deadline = st.date_input(
        "办理期限",
        value=today + timedelta(days=sv.DEFAULT_DAYS),
        min_value=today,
        key=f"{key}_deadline",
        format="YYYY-MM-DD",
    )
    chosen = candidates[edited["选择"].to_numpy(dtype=bool)]
    if st.button(
        f"发出督办（{len(chosen)} 件）", type="primary", key=f"{key}_go", disabled=chosen.empty
    ):
        orders = [
            sv.Order(
                r.region_code, requirement, metric=r.metric, period=r.period, deadline=deadline
            )
            for r in chosen.itertuples()
        ]
        user = auth.current_user(url)
        try:
            ids = sv.issue(db.engine_for(url), user.username if user else "", orders)
        except sv.SupervisionError as refused:
            st.error(
                f"未能发起督办：{refused}（已填写的内容仍保留在上面。）", icon=":material/block:"
            )
            return
        names = "、".join(dict.fromkeys(md_text(n) for n in chosen["name"]))
        st.session_state[DONE_KEY] = (
            f"已向{names}发起督办 {len(ids)} 件，办理期限 {deadline:%Y-%m-%d}。"
        )
        st.rerun()


def issue_button(url: str, candidates: pd.DataFrame, *, key: str, label: str = "发起督办") -> None:
    """The button that opens the dialog for `candidates` (CANDIDATE_COLUMNS); only for a
    province or prefecture user, and only with something to issue."""
    if not may_issue(url) or candidates.empty:
        return
    if st.button(f"{label}（{len(candidates)} 项）", icon=":material/assignment_add:", key=key):
        _issue_dialog(url, candidates.reset_index(drop=True), key)


def to_answer_notice(url: str, scope: str, period: str) -> None:
    """What awaits the user on landing: a county's (or prefecture's) tasks to answer, an
    issuer's answers to accept; the count and the way there."""
    waiting = q.to_do(db.engine_for(url), scope, period)
    if waiting["to_answer"]:
        st.warning(
            f"**有 {waiting['to_answer']} 件督办事项待反馈。** 请在办理期限前反馈整改情况。",
            icon=":material/assignment_late:",
        )
        st.page_link(PAGE, label="去反馈督办事项", icon=":material/assignment:")
    if waiting["to_accept"]:
        st.info(
            f"有 {waiting['to_accept']} 件督办事项已反馈，待销号或退回。",
            icon=":material/assignment_return:",
        )
        st.page_link(PAGE, label="去审核督办反馈", icon=":material/assignment:")


def overdue_alert(url: str, scope: str, period: str) -> None:
    """督办逾期 as an alert of its own (预警): the tasks past their deadline without an
    answer, most overdue first."""
    late = q.task_list(db.engine_for(url), scope, period, overdue_only=True)
    if late.empty:
        return
    late = late.sort_values(["days_left", "id"])
    lines = [
        f"- {md_text(r.region_name)}：{md_text(r.metric_label or r.matter or '—')}，"
        f"期限 {r.deadline:%Y-%m-%d}，已逾期 {-r.days_left} 天（#{r.id}）"
        for r in late.head(10).itertuples()
    ]
    more = f"\n\n另有 {len(late) - 10} 件，见“督办”页。" if len(late) > 10 else ""
    st.error(
        f"**督办逾期未反馈 {len(late)} 件**\n\n" + "\n".join(lines) + more,
        icon=":material/assignment_late:",
    )
    st.page_link(PAGE, label="查看督办事项", icon=":material/assignment:")


def nav_counts(url: str, user: auth.AuthUser, scope: str, period: str) -> dict[str, int]:
    """The navigation's count beside 督办: what awaits this user (answers for a county,
    answers and 销号 for a prefecture, 销号 for the province). Never breaks the navigation."""
    if user.role not in ("province", "prefecture", "county"):
        return {}
    try:
        waiting = q.to_do(db.engine_for(url), scope, period)
    except Exception:  # a missing table (an old database): no count, the page says why
        log.exception("督办 counts for the navigation failed")
        return {}
    return {"supervision": waiting["to_answer"] + waiting["to_accept"]}
