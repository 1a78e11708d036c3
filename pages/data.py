"""数据管理 (admin only, DESIGN.md §5.7 and §7): import a ledger (validate every row, then load
all or nothing, with the error table), the import history, each county's data freshness as a
reporting-rate table, and the templates.

Layout only: imports go through data.load.import_file, reads through queries/imports.py.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from components import db, signin, tables, uploader
from components.exports import XLSX_MIME
from components.format import fmt_rate
from data.load import (
    BATCH_STATUS,
    KINDS,
    SPECS,
    TITLES,
    catch_up,
    import_file,
    rollup_behind,
    template_bytes,
)
from data.load.reading import Limits, MiB, upload_refusal
from queries import audit, imports

SECTIONS = ("导入台账", "导入记录", "数据更新情况", "下载模板")
RESULT_KEY = "data_import_result"
STATUS_WORDS = {**BATCH_STATUS, "checked": "校验通过（未写入）"}
ROLLUP_WORDS = {"full": "已全部重算", "failed": "刷新失败", "": "无需刷新"}

ctx = db.get_context()
user = signin.page_user(ctx.url, __file__)  # its row of components/nav.py: admins only
engine = db.engine_for(ctx.url)

st.title("数据管理")
st.caption("导入各县（市、区）报送的台账，查看导入记录和各县数据更新情况。")
section = st.segmented_control(
    "功能", SECTIONS, default=SECTIONS[0], key="data_section", label_visibility="collapsed"
)


@st.cache_data(show_spinner=False)
def _template(kind: str) -> bytes:
    return template_bytes(kind)


@st.cache_data(ttl=600, show_spinner="正在统计各县数据更新情况…")
def _freshness(url: str, scope: str, as_of: date, version: str) -> pd.DataFrame:
    return imports.freshness(db.engine_for(url), scope, as_of)


def _rollup_text(note: str) -> str:
    if note.startswith("since "):
        return f"已重算 {note[6:]} 起的各月"
    return ROLLUP_WORDS.get(note, note)


def show_result(result) -> None:
    """The outcome of the last import in this session: summary, notes, error table."""
    text = result.summary()
    if result.status == "loaded":
        st.success(text, icon=":material/check_circle:")
        if result.rollup:
            st.caption(f"指标汇总：{_rollup_text(result.rollup)}。")
    elif result.status == "checked":
        st.info(text, icon=":material/info:")
    else:
        st.error(text, icon=":material/block:")
    for note in result.notes:
        st.caption("说明：" + note)
    if len(result.errors) > 1 or any(p.row is not None for p in result.errors):
        table = imports.problem_frame([p.as_dict() for p in result.errors])
        st.markdown(f"**问题清单（{len(table):,} 处）**")
        tables.data_table(
            table,
            title="导入问题清单",
            caption=f"导入问题清单 · {result.file_name}",
            key="data_errors",
        )


CATCH_UP_KEY = "data_catch_up_note"


def _catch_up(batches: str) -> None:
    """The button's callback: runs before the rerun, so the notice below reads the result."""
    note = catch_up(engine)
    db.clear_caches()
    audit.record(engine, user.username, "rollup", f"补做指标汇总 {batches}: {note or '无需刷新'}")
    st.session_state[CATCH_UP_KEY] = note


def rollup_notice() -> None:
    """A load whose rollup refresh never finished (a crash, a failed refresh): say so, and
    offer the refresh (issue 19.7). Read fresh, like the history."""
    done = st.session_state.pop(CATCH_UP_KEY, None)
    if done is not None:
        st.success(f"指标汇总：{_rollup_text(done)}。", icon=":material/check_circle:")
    behind = rollup_behind(engine)
    if not behind:
        return
    batches = "、".join(f"#{b}" for b in behind)
    st.warning(
        f"导入记录 {batches} 的数据已写入，但指标汇总尚未完成刷新，看板上的指标可能未包含这些数据。"
        "下次导入时会自动补做，也可以现在刷新。",
        icon=":material/sync_problem:",
    )
    st.button(
        "刷新指标汇总",
        key="data_catch_up",
        icon=":material/sync:",
        on_click=_catch_up,
        args=(batches,),
    )


def import_section() -> None:
    rollup_notice()
    limits = Limits.from_env()
    c1, c2 = st.columns([1, 2])
    kind = c1.selectbox(
        "台账类型", KINDS, index=KINDS.index("children"), format_func=TITLES.get, key="data_kind"
    )
    spec = SPECS[kind]
    required = "、".join(f.header for f in spec.fields if f.required)
    c1.caption(f"必填列：{required}")
    with c2:
        upload = uploader.file_uploader(
            "选择台账文件（.xlsx 或 .csv）",
            ("xlsx", "csv"),
            round(limits.max_bytes / MiB),
            key="data_file",
            help=f"单个文件不超过 {limits.max_bytes / MiB:.0f} MB、{limits.max_rows:,} 行；CSV 可为 UTF-8 或 GBK 编码。",
        )
    refused = upload_refusal(upload.name, upload.size, limits) if upload is not None else None
    if refused:
        st.error(f"不能导入“{upload.name}”：{refused}", icon=":material/block:")
    elif upload is not None:
        st.caption(f"将校验并导入：{upload.name}（{upload.size / 1024:,.0f} KB）")
    check_only = st.checkbox("只校验，不写入数据库", key="data_check_only")
    st.caption(
        "导入时先校验全部行：只要有一处错误，整个文件都不导入，并列出每处错误所在的行和列。导入成功后自动刷新指标汇总，大文件可能需要一分钟。"
    )
    if st.button(
        "校验并导入", type="primary", disabled=upload is None or bool(refused), key="data_go"
    ):
        with st.spinner("正在校验并导入，请稍候…"):
            result = import_file(
                engine, kind, upload.getvalue(), upload.name, user=user.username, dry_run=check_only
            )
        st.session_state[RESULT_KEY] = result
        if result.status == "loaded":
            db.clear_caches()  # every view reads the new figures
    result = st.session_state.get(RESULT_KEY)
    if result is not None:
        show_result(result)


def history_section() -> None:
    hist = imports.history(engine, limit=200)  # read fresh: it must show the last attempt
    if hist.empty:
        st.info("还没有导入记录。")
        return
    shown = pd.DataFrame(
        {
            "编号": hist["id"],
            "导入时间": hist["imported_at"].map(
                lambda t: audit.to_local(t).strftime("%Y-%m-%d %H:%M")
            ),
            "台账类型": hist["kind"].map(lambda k: TITLES.get(k, k)),
            "文件名": hist["file_name"],
            "导入人": hist["imported_by"].fillna("—"),
            "结果": hist["status"].map(lambda s: STATUS_WORDS.get(s, s)),
            "文件行数": hist["rows_in"],
            "导入行数": hist["rows_loaded"],
            "新增": hist["inserted"],
            "更新": hist["updated"],
            "未变": hist["unchanged"],
            "问题数": hist["error_count"],
        }
    )
    tables.data_table(shown, title="导入记录", caption="导入记录（最近200次）", key="data_history")
    failed = hist[hist["error_count"] > 0]
    if failed.empty:
        return
    labels = {
        int(
            r.id
        ): f"#{r.id} {TITLES.get(r.kind, r.kind)} · {r.file_name} · {r.error_count:,} 处问题"
        for r in failed.itertuples()
    }
    pick = st.selectbox(
        "查看某次导入的问题清单",
        list(labels),
        format_func=labels.get,
        index=None,
        placeholder="请选择一次导入",
        key="data_batch",
    )
    if pick is not None:
        tables.data_table(
            imports.batch_errors(engine, pick),
            title="导入问题清单",
            caption=f"导入问题清单 · {labels[pick]}",
            key="data_batch_errors",
        )


def freshness_section() -> None:
    today = audit.to_local(audit.utc_now()).date()
    fresh = _freshness(ctx.url, ctx.scope, today, ctx.meta.version)
    if fresh.empty:
        st.info("当前范围内没有县（市、区）。")
        return
    rates = imports.reporting_rate(fresh)
    st.markdown(
        f"**按时更新率**（截至 {today.isoformat()}，{imports.STALE_DAYS} 天内有更新为按时）"
    )
    for col, row in zip(st.columns(len(rates)), rates.itertuples(), strict=True):
        col.metric(
            row.label, fmt_rate(row.rate), help=f"{row.fresh:,} / {row.counties:,} 个县（市、区）"
        )
    only_stale = st.toggle("只看逾期未更新的县（市、区）", key="data_only_stale")
    view = fresh[fresh["stale"]] if only_stale else fresh

    def day(d) -> str:
        return d.isoformat() if d is not None and not pd.isna(d) else "无记录"

    table = pd.DataFrame(
        {
            "设区市": view["prefecture"],
            "县（市、区）": view["name"],
            "状态": view["stale"].map({True: "⚠ 逾期未更新", False: "✓ 按时"}),
            "逾期台账": view["stale_kinds"].replace("", "—"),
            **{f"{label}最近更新": view[k].map(day) for k, label in imports.KIND_LABELS.items()},
            "距今天数（探访）": view["visits_days"].astype("Int64"),
        }
    )
    tables.data_table(
        table,
        title="数据更新情况",
        caption=f"各县数据更新情况 · 截至 {today.isoformat()}",
        key="data_freshness",
    )
    st.caption(
        "“最近更新”取各类记录自身的日期：儿童信息取信息更新、登记、退出日期的最晚者，工作队伍取信息更新、任职、离任日期，"
        f"探访记录取探访日期，其余类推。儿童信息、工作队伍、探访记录任一类 {imports.STALE_DAYS} 天内没有更新即为逾期。"
    )


def templates_section() -> None:
    st.markdown("每类台账一个模板：中文列名、下拉可选值、示例行（导入时自动跳过）和填写说明。")
    cols = st.columns(3)
    for i, kind in enumerate(KINDS):
        cols[i % 3].download_button(
            f"{TITLES[kind]}模板",
            data=_template(kind),
            file_name=f"{TITLES[kind]}台账模板.xlsx",
            mime=XLSX_MIME,
            key=f"data_tpl_{kind}",
            icon=":material/description:",
            on_click="ignore",
            width="stretch",
        )


if section == "导入记录":
    history_section()
elif section == "数据更新情况":
    freshness_section()
elif section == "下载模板":
    templates_section()
else:
    import_section()
