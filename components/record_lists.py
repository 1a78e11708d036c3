"""县区详情's lists of individual records: the open cases and the staff roster of the county
or prefecture shown (queries/records.py, the same lists the thematic pages show).

Masked for everyone (张*明, 138****5678) except a signed-in user with the permission to see
unmasked personal data (app_users.can_view_personal: `python -m data.users personal USERNAME
on`, or the 用户管理 page). Such a user sees the child's name and ID number and the staff's
names and phones as recorded — here and nowhere else: every other page calls the lists
masked. Each unmasked view is written to the audit log as `view_personal` naming the list,
the region, the scope, the period and the filter (once per browser session and user, as the
views of records are); each Excel download of an unmasked list writes a `view_personal` row
too, besides its `export` row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from components import auth, db, exports, tables, views, watermark
from components.format import DASH, fmt_rate
from components.region_detail import Detail, show_table, static_table
from components.views import Col
from data.labels import (
    CASE_CONCERN,
    CASE_SOURCE,
    CASE_STATUS,
    CHILD_CATEGORY,
    GENDER,
    RISK_LEVEL,
    STAFF_ROLE,
)
from queries import records

SEEN_KEY = "_personal_views_audited"  # (username, target) already audited in this session
CASES_LABEL = "在办个案清单"
ROSTER_LABEL = "工作人员名册"


# ---------------------------------------------------------------- permission and audit


def may_see_personal(url: str) -> bool:
    """Whether the signed-in user holds the permission to see unmasked personal data (read
    from app_users on every check, so a withdrawn permission masks the next rerun)."""
    user = auth.current_user(url)
    return user is not None and user.can_view_personal


def audit_target(d: Detail, label: str, shown: str) -> str:
    """'在办个案清单 · 宁都县（360730） · 范围 360000 · 2026-10 · 只看逾期': what an audit row of
    an unmasked view names."""
    return f"{label} · {d.name}（{d.code}） · 范围 {d.scope} · {d.period} · {shown}"


def audit_view(url: str, target: str) -> None:
    """One `view_personal` row per browser session, user and target: a rerun of the same
    unmasked list writes no new row, another filter or period does."""
    user = auth.current_user(url)
    if user is None:
        return
    seen = st.session_state.setdefault(SEEN_KEY, set())
    if (user.username, target) in seen:
        return
    if auth.personal_data_allowed(url, target):  # checks the permission again, writes the row
        seen.add((user.username, target))


def audited_download(url: str, build: Callable[[], bytes], target: str) -> Callable[[], bytes]:
    """`build` for a download of an unmasked list: when the file is built (the click), an
    `export` row and a `view_personal` row naming the list. Call within the script run."""
    personal = auth.recorder(url, "view_personal", target)

    def run() -> bytes:
        data = build()
        personal()
        return data

    return exports.audited(run, target)


def unmasked_table(
    d: Detail,
    df: pd.DataFrame,
    cols: Sequence[Col],
    *,
    title: str,
    key: str,
    empty: str,
    target: str,
) -> None:
    """A list with unmasked personal data: on screen (or static in print) with an Excel
    download audited as `view_personal`; the view itself audited once per session."""
    audit_view(d.url, target)
    if d.print_mode:
        static_table(df, cols, empty=empty)
        return
    shown = views.display_frame(df, cols)
    if shown.empty:
        st.success(empty, icon=":material/check_circle:")
        return
    config = {
        c.header: (
            st.column_config.NumberColumn(c.header, format=c.number_format)
            if c.number_format
            else st.column_config.Column(c.header)
        )
        for c in cols
    }
    st.dataframe(
        shown,
        column_config=config,
        hide_index=True,
        placeholder=DASH,
        height=tables.rows_height(len(shown), tables.LIST_ROWS),
        key=f"{key}_table",
    )
    caption = tables.export_caption(title, d.name, d.period)
    frame = tables.excel_frame(shown, config)
    mark = watermark.current_text(d.url)

    def build() -> bytes:
        return exports.excel_bytes({title: frame}, caption, watermark=mark)

    st.download_button(
        "下载 Excel",
        data=audited_download(d.url, build, f"{title}.xlsx · {target} · {len(frame)} 行 · 下载"),
        file_name=f"{title}.xlsx",
        mime=exports.XLSX_MIME,
        key=f"xlsx_{key}_table",
        icon=":material/download:",
        on_click="ignore",
    )


# ---------------------------------------------------------------- the two lists


def case_columns(level: str, unmasked: bool, detail: bool = True) -> list[Col]:
    """The case list's columns: the county column for a prefecture, the child's ID number
    only for a user who may see it unmasked, the village and the concern only for one who
    may see the cases' detail (records.shows_case_detail)."""
    return [
        Col("id", "个案编号", fmt="%d"),
        *([Col("county_name", "县（市、区）")] if level == "prefecture" else []),
        Col("township_name", "乡镇（街道）", none="县本级"),
        *([Col("village_name", "村（社区）", none=DASH)] if detail else []),
        Col("child_name", "儿童", none="未关联"),
        *([Col("child_id_number", "身份证号", none=DASH)] if unmasked else []),
        Col("child_category", "类别", labels=CHILD_CATEGORY),
        *([Col("concern", "问题类型", labels=CASE_CONCERN)] if detail else []),
        Col("risk_level", "风险", labels=RISK_LEVEL),
        Col("source", "来源", labels=CASE_SOURCE),
        Col("stage", "办理阶段", labels=CASE_STATUS),
        Col("received_on", "受理日期"),
        Col("due_on", "办理期限"),
        Col("days_open", "已办天数", fmt="%d"),
        Col("days_overdue", "逾期天数", fmt="%d"),
    ]


# Every case column by key (a prefecture's unmasked list has them all), for lists of the same
# records elsewhere: the 会议简报's new overdue cases.
CASE_COLS = {c.key: c for c in case_columns("prefecture", unmasked=True)}


def case_cols(*keys: str, detail: bool = True) -> list[Col]:
    """The columns `keys` of a case list, in that order, as the case list reads them;
    without `detail` the village and the concern are left out (records.shows_case_detail)."""
    return [CASE_COLS[k] for k in keys if detail or k not in DETAIL_KEYS]


DETAIL_KEYS = frozenset({"village_name", "concern"})


def shows_detail(url: str, scope: str, unmasked: bool = False) -> bool:
    """Whether the signed-in user's case lists name the village and the concern."""
    return db.query(records.shows_case_detail, url, scope, unmasked)


def roster_columns(level: str) -> list[Col]:
    return [
        Col("role", "岗位", labels=STAFF_ROLE),
        Col("name", "姓名"),
        Col("gender", "性别", labels=GENDER),
        Col("phone", "电话"),
        *([Col("county_name", "县（市、区）")] if level == "prefecture" else []),
        Col("township_name", "乡镇（街道）"),
        Col("village_name", "村（社区）", none=DASH),
        Col("is_female_committee_member", "女性村（居）委委员", yes_no=True),
        Col("is_dedicated", "专人专岗", yes_no=True),
        Col("is_registered", "实名录入", yes_no=True),
        Col("certified", "持证上岗", yes_no=True),
        Col("trained_12m", "近一年培训", yes_no=True),
        Col("last_trained_on", "最近培训", none="从未培训"),
        Col("appointed_on", "任职日期"),
        Col("info_updated_on", "信息更新", none=DASH),
    ]


def _list(d: Detail, fn: Callable[..., pd.DataFrame], unmasked: bool) -> pd.DataFrame:
    """A list of the region shown, through the cached query edge (audited there as a view
    of records); unmasked only when asked, which only a permitted user's view does."""
    extra = {"unmasked": True} if unmasked else {}
    return db.query(fn, d.url, d.scope, d.period, d.code, **extra)


def cases_section(d: Detail) -> None:
    """在办个案: counts, the overdue toggle and the list."""
    st.subheader("在办个案")
    unmasked = may_see_personal(d.url)
    rows = _list(d, records.case_list, unmasked)
    n_overdue = int(rows["overdue"].sum()) if len(rows) else 0
    c1, c2, c3 = st.columns(3)
    c1.metric("在办个案", f"{len(rows):,} 件")
    c2.metric("其中逾期", f"{n_overdue:,} 件")
    c3.metric("高风险在办", f"{int((rows['risk_level'] == 'high').sum()) if len(rows) else 0:,} 件")
    overdue_only = st.toggle("只看逾期个案", value=n_overdue > 0, key="county_overdue_only")
    shown = rows[rows["overdue"]] if overdue_only and len(rows) else rows
    args = {
        "title": f"{d.name}在办个案",
        "key": "county_cases",
        "empty": "没有逾期个案。" if overdue_only else "本月末没有在办个案。",
    }
    cols = case_columns(d.level, unmasked, shows_detail(d.url, d.scope, unmasked))
    if unmasked:
        target = audit_target(d, CASES_LABEL, "只看逾期" if overdue_only else "全部在办")
        unmasked_table(d, shown, cols, target=target, **args)
        st.caption(
            "您有查看未脱敏个人信息的权限：儿童姓名、身份证号未脱敏，查看和下载均记入审计日志。"
            "“县本级”指直接登记在县（市、区）的个案。"
        )
        return
    show_table(d, shown, cols, **args)
    st.caption("儿童姓名已脱敏；“县本级”指直接登记在县（市、区）的个案。")


def roster_section(d: Detail) -> None:
    """工作人员名册: headcounts, shares certified and trained, and the list."""
    st.subheader("工作人员名册")
    unmasked = may_see_personal(d.url)
    roster = _list(d, records.staff_roster, unmasked)
    if len(roster):
        sup = roster["role"] == "supervisor"
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("在岗儿童督导员", f"{int(sup.sum()):,} 人")
        c2.metric("在岗儿童主任", f"{int((~sup).sum()):,} 人")
        c3.metric("持证上岗", fmt_rate(roster["certified"].mean()))
        c4.metric("近一年参加培训", fmt_rate(roster["trained_12m"].mean()))
    args = {
        "title": f"{d.name}工作人员名册",
        "key": "county_roster",
        "empty": "本月末没有在岗的儿童督导员和儿童主任。",
    }
    if unmasked:
        target = audit_target(d, ROSTER_LABEL, "全部在岗")
        unmasked_table(d, roster, roster_columns(d.level), target=target, **args)
        st.caption("您有查看未脱敏个人信息的权限：姓名、电话未脱敏，查看和下载均记入审计日志。")
        return
    show_table(d, roster, roster_columns(d.level), **args)
    st.caption("姓名、电话已脱敏。")
