"""数据管理 page (AppTest, SQLite): the admin sees the import form, the error table of a
rejected file (personal values masked), the history, the freshness table and the templates;
plus queries/imports.py (history, freshness, reporting rate) on both backends."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from data.db import make_engine, upgrade
from data.demo import build_demo
from data.load import import_file
from queries import imports
from tests.apptest import ensure_user, run_app
from tests.fixtures.ledgers import add_tree, children_ledger, idn, staff_ledger, xlsx_bytes

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dataview') / 'tiny.db'}"
    eng = make_engine(url)
    build_demo(eng, "tiny", progress=lambda _msg: None)
    bad = children_ledger().iloc[:1]
    bad.loc[0, "编号"] = 90001
    bad.loc[0, "村（社区）代码"] = "360112001001"  # a village of the tiny demo
    bad.loc[0, "身份证号"] = idn("360112", "20150305", 11)[:17] + "0"  # wrong check digit
    r = import_file(eng, "children", xlsx_bytes(bad), "坏台账.xlsx", user="admin", today=TODAY)
    assert r.status == "rejected"
    eng.dispose()
    return url


def frame(at, column: str) -> pd.DataFrame:
    """The page's table that has `column` (AppTest does not expose a dataframe's key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def texts(at) -> str:
    return " ".join(
        str(e.value) for e in (*at.markdown, *at.caption, *at.error, *at.success, *at.info)
    )


def test_admin_opens_the_import_form(tiny, apptest_env):
    admin = ensure_user(tiny, "admin")
    at = run_app(tiny, user=admin, page="pages/data.py")
    assert not at.exception
    assert at.title[0].value == "数据管理"
    assert at.selectbox(key="data_kind").value == "children"
    assert at.button(key="data_go").disabled  # nothing uploaded yet
    assert "必填列：村（社区）代码、儿童类别、姓名、登记日期" in texts(at)
    at.selectbox(key="data_kind").select("regions").run()
    assert "必填列：区划代码、名称" in texts(at)


def test_rejected_result_shows_masked_error_table(tiny, apptest_env, tmp_path):
    admin = ensure_user(tiny, "admin")
    eng = make_engine(f"sqlite:///{tmp_path / 'tree.db'}")
    upgrade(eng)
    add_tree(eng)
    bad = children_ledger()
    bad.loc[1, "身份证号"] = idn("360102", "20160701", 22)[:17] + "0"
    bad.loc[2, "姓名"] = "王" * 70
    result = import_file(eng, "children", xlsx_bytes(bad), "坏.xlsx", dry_run=True, today=TODAY)
    eng.dispose()
    at = run_app(tiny, user=admin, page="pages/data.py")
    at.session_state["data_import_result"] = result
    at.run()
    assert not at.exception
    assert "校验未通过，未导入任何数据：共 4 行，发现 2 处问题" in at.error[0].value
    table = frame(at, "问题")
    assert list(table["行号"]) == [3, 4]
    assert list(table["列名"]) == ["身份证号", "姓名"]
    # Personal values are masked on screen: the row and column say where to look.
    assert list(table["单元格内容"]) == ["3601**********0220", "王" + "*" * 68 + "王"]


def test_history_freshness_and_templates(tiny, apptest_env):
    admin = ensure_user(tiny, "admin")
    at = run_app(tiny, user=admin, page="pages/data.py")
    at.session_state["data_section"] = "导入记录"
    at.run()
    assert not at.exception
    hist = frame(at, "导入人")
    assert list(hist["文件名"]) == ["坏台账.xlsx"]
    assert list(hist["结果"]) == ["校验未通过"]
    assert list(hist["问题数"]) == [1]
    at.session_state["data_section"] = "数据更新情况"
    at.run()
    assert not at.exception
    fresh = frame(at, "逾期台账")
    assert len(fresh) == 5  # the tiny demo's counties
    assert set(fresh["状态"]) <= {"⚠ 逾期未更新", "✓ 按时"}
    at.session_state["data_section"] = "下载模板"
    at.run()
    assert not at.exception
    assert len([b for b in at.get("download_button")]) == 12


# ---------------------------------------------------------------- queries/imports.py


def test_freshness_and_reporting_rate(engine):
    add_tree(engine)
    for kind, df in (("children", children_ledger()), ("staff", staff_ledger())):
        assert (
            import_file(engine, kind, xlsx_bytes(df), "x.xlsx", today=TODAY, refresh=False).status
            == "loaded"
        )
    visits = pd.DataFrame(
        {"编号": [1, 2], "儿童编号": [1, 4], "探访日期": ["2026-10-20", "2026-08-01"]}
    )
    assert (
        import_file(
            engine, "visits", xlsx_bytes(visits), "v.xlsx", today=TODAY, refresh=False
        ).status
        == "loaded"
    )
    fresh = imports.freshness(engine, "360000", as_of=date(2026, 11, 28)).set_index("code")
    assert list(fresh.index) == ["360102", "360111"]  # both stale, by code
    # 东湖区: children last touched 2026-03-31 (an exit), staff 2025-01-01, visit 2026-10-20.
    assert fresh.loc["360102", "children"] == date(2026, 3, 31)
    assert fresh.loc["360102", "staff"] == date(2025, 1, 1)
    assert fresh.loc["360102", "visits"] == date(2026, 10, 20)
    assert fresh.loc["360102", "visits_days"] == 39
    assert fresh.loc["360102", "stale_kinds"] == "儿童信息、工作队伍"
    # 青山湖区: visit 2026-08-01 is 119 days old (found in the second window).
    assert fresh.loc["360111", "visits"] == date(2026, 8, 1)
    assert fresh.loc["360111", "stale_kinds"] == "儿童信息、工作队伍、探访记录"
    assert fresh.loc["360111", "cases"] is None
    rate = imports.reporting_rate(fresh.reset_index()).set_index("kind")
    assert rate.loc["visits", "fresh"] == 1 and rate.loc["visits", "rate"] == 0.5
    assert rate.loc["all", "fresh"] == 0
    # As of 2026-04-15 东湖区's children (exit on 03-31) are fresh; nothing is later than as_of.
    early = imports.freshness(engine, "360102", as_of=date(2026, 4, 15))
    assert list(early["code"]) == ["360102"]
    assert early.loc[0, "children_days"] == 15 and early.loc[0, "visits"] is None


def test_history_and_batch_errors(engine):
    add_tree(engine)
    bad = children_ledger()
    bad.loc[3, "性别"] = "未知"
    import_file(engine, "children", xlsx_bytes(bad), "bad.xlsx", user="甲", today=TODAY)
    import_file(
        engine, "children", xlsx_bytes(children_ledger()), "good.xlsx", user="乙", today=TODAY
    )
    hist = imports.history(engine)
    assert list(hist["file_name"]) == ["good.xlsx", "bad.xlsx"]
    assert list(hist["status"]) == ["loaded", "rejected"]
    assert list(hist["error_count"]) == [0, 1]
    assert list(hist["inserted"]) == [4, 0]
    assert hist.loc[0, "rollup"] == "full"
    errs = imports.batch_errors(engine, int(hist.loc[1, "id"]))
    assert errs.to_dict("records") == [
        {
            "工作表": "Sheet1",
            "行号": 5,
            "列": "F",
            "列名": "性别",
            "单元格内容": "未知",
            "问题": "不是有效选项，可选：女、男",
        }
    ]
    last = imports.last_import(engine)
    assert list(last["kind"]) == ["children"] and list(last["loads"]) == [1]


def test_problem_frame_masks_and_defuses():
    table = imports.problem_frame(
        [
            {
                "sheet": "S",
                "row": 3,
                "column": "姓名",
                "value": "张小明",
                "message": "m",
                "letter": "E",
                "field": "name",
            },
            {
                "sheet": "S",
                "row": 4,
                "column": "联系电话",
                "value": "13812345678",
                "message": "m",
                "letter": "F",
                "field": "phone",
            },
            {
                "sheet": "S",
                "row": 5,
                "column": "儿童身份证号",
                "value": idn("360102", "20150305", 11),
                "message": "m",
                "letter": "B",
                "field": "child_id",
            },
            {
                "sheet": "S",
                "row": 6,
                "column": "名称",
                "value": '=HYPERLINK("x")',
                "message": "m",
                "letter": "C",
                "field": "name_of_home",
            },
            {
                "sheet": "",
                "row": None,
                "column": "登记日期",
                "value": "",
                "message": "缺少必填列「登记日期」",
                "letter": "",
            },
        ]
    )
    assert list(table["单元格内容"]) == [
        "张*明",
        "138****5678",
        "3601**********" + idn("360102", "20150305", 11)[-4:],
        '\'=HYPERLINK("x")',
        "",
    ]
    assert list(table["工作表"]) == ["S", "S", "S", "S", "—"]
    assert table["行号"].tolist()[:4] == [3, 4, 5, 6] and pd.isna(table["行号"].tolist()[4])


def test_a_load_the_rollup_missed_is_shown_and_refreshed(tiny, apptest_env, tmp_path):
    """Issue 19.7: rows in, rollup refresh never finished — the admin sees which import and
    catches up with one click (audited)."""
    import shutil

    from data import rollup_pending
    from data.load import rollup_behind
    from tests.fixtures.audit import audit_rows

    copy = tmp_path / "behind.db"
    shutil.copy(tiny.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    eng = make_engine(url)
    with eng.begin() as conn:
        rollup_pending.mark(conn, 4242, date(2026, 9, 3))
    admin = ensure_user(url, "admin")
    at = run_app(url, user=admin, page="pages/data.py")
    assert not at.exception
    assert any("#4242" in w.value and "尚未完成刷新" in w.value for w in at.warning)
    at.button(key="data_catch_up").click().run()
    assert not at.exception
    assert not at.warning
    assert any("已重算 2026-09 起的各月" in s.value for s in at.success)
    assert rollup_behind(eng) == []
    assert any(a == "rollup" and "#4242" in t for _u, a, t in audit_rows(eng))
    eng.dispose()


def test_a_refused_file_says_why_in_chinese_and_is_never_replaced_by_the_last(tiny, apptest_env):
    """Issue 19: Streamlit refused a file of another type in the browser, in English, and
    kept the file chosen before as the widget's value, so the import took the old file. The
    widget now accepts any file and the page refuses it in Chinese, button disabled."""
    admin = ensure_user(tiny, "admin")
    at = run_app(tiny, user=admin, page="pages/data.py")
    uploader = at.file_uploader(key="data_file")
    assert not uploader.allowed_type  # nothing refused in the browser
    good = xlsx_bytes(children_ledger().iloc[:1])
    at.file_uploader(key="data_file").upload("台账.xlsx", good).run()
    assert not at.exception and not at.error
    assert any("将校验并导入：台账.xlsx" in c.value for c in at.caption)
    assert not at.button(key="data_go").disabled
    at.file_uploader(key="data_file").upload("汇报.pdf", b"%PDF-1.4 ...").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "不能导入“汇报.pdf”：只能导入 .xlsx（Excel）或 .csv 文件。"
    ]
    assert not any("台账.xlsx" in c.value for c in at.caption)
    assert at.button(key="data_go").disabled


def test_upload_refusal_names_type_and_size():
    from data.load.reading import Limits, upload_refusal

    limits = Limits(max_bytes=1000)
    assert upload_refusal("a.xlsx", 999, limits) is None
    assert upload_refusal("a.CSV", 10, limits) is None
    assert "旧版 Excel" in upload_refusal("a.xls", 10, limits)
    assert "超过上限" in upload_refusal("a.xlsx", 1001, limits)
    assert upload_refusal("a.xlsx", 0, limits) == "文件是空的。"


def test_streamlit_lets_a_too_large_file_reach_the_page():
    """server.maxUploadSize above the import limit: a file over the limit is refused by the
    page in Chinese, not by the browser in English with the previous file kept."""
    import tomllib
    from pathlib import Path

    from data.load.reading import Limits, MiB

    config = tomllib.loads(Path(".streamlit/config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * MiB >= 5 * Limits().max_bytes
