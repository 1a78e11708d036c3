"""汇报模式 in headless Chromium: the real app (`streamlit run server.py`) on a tiny demo database.
Signed in as a province user, the presentation opens with the sidebar hidden, the → key and
the 下一页 button advance through every slide (the slide number follows in the URL), each
slide is screenshotted into artifacts/ (kept out of git), the PPTX and Excel downloads
arrive as files python-pptx and openpyxl open and are written to the audit log, and in print
media the buttons and sidebar are gone.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from sqlalchemy import select

from data import accounts
from data.db import make_engine
from data.schema import audit_log
from tests.browser.test_county_user_browser import wait_until_idle
from tests.fixtures.deck import PAGE_SLIDES
from tests.fixtures.demo import tiny_sqlite_url

TITLE_JS = "() => (document.querySelector('.deck-title') || {}).textContent || ''"


@pytest.fixture(scope="module")
def app(streamlit_app, tmp_path_factory) -> tuple[str, str, object]:
    url = tiny_sqlite_url(tmp_path_factory, "presentation_browser")
    engine = make_engine(url)
    password = accounts.add_user(engine, "presenter", "province", must_change_password=False)
    base = streamlit_app("server.py", env={"REPORTING_DB_URL": url, "PROVINCE_CODE": "360000"})
    yield base, password, engine
    engine.dispose()


def sign_in(page, password: str) -> None:
    """The sign-in form, then either 汇报模式 (its sidebar, with 退出登录, is hidden) or
    another page."""
    page.get_by_label("用户名").fill("presenter")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_function("() => document.body.textContent.includes('退出登录')")
    wait_until_idle(page)


def open_presentation(page, base: str, password: str, query: str = "") -> None:
    """Open 汇报模式 in a new session and sign in. The very first request after a server
    start lands on the overview (Streamlit's pages/ mode, see components/db.get_context):
    then go there through the navigation, and follow the deep link again."""
    page.goto(f"{base}/presentation{query}")
    sign_in(page, password)
    if page.locator(".deck-title").count() == 0:
        page.get_by_role("link", name="汇报模式").click()
        page.locator(".deck-title").wait_for()
        if query:
            page.goto(f"{base}/presentation{query}")
            sign_in(page, password)


def wait_for_slide(page, title: str) -> None:
    page.wait_for_function(f"() => ({TITLE_JS})().startsWith({title!r})", timeout=90_000)
    wait_until_idle(page)


def test_advance_through_every_slide(app, page, artifacts_dir):
    base, password, _ = app
    open_presentation(page, base, password)
    wait_for_slide(page, PAGE_SLIDES[0])
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    for i, title in enumerate(PAGE_SLIDES):
        wait_for_slide(page, title)
        page.wait_for_function(f"() => location.search.includes('slide={i + 1}')")
        if "分布图" in title:
            page.wait_for_function(
                "() => document.querySelectorAll('path.choroplethlocation').length >= 100",
                timeout=90_000,  # a fresh server simplifies the county boundaries first
            )
        elif "排名" in title or "走势" in title:
            page.locator(".js-plotly-plot").first.wait_for()
        else:
            page.locator("table.deck-table").wait_for()
        assert page.get_by_text(f"第 {i + 1} / {len(PAGE_SLIDES)} 页").first.is_visible()
        page.screenshot(path=str(artifacts_dir / f"presentation_{i + 1:02d}.png"))
        if i == 0:
            page.locator(".deck-sub").click()  # focus the page, not a widget
            page.keyboard.press("ArrowRight")  # the → shortcut of 下一页
        else:
            page.get_by_role("button", name="下一页").click()
    wait_for_slide(page, PAGE_SLIDES[0])  # round to the start
    page.get_by_role("button", name="上一页").click()
    wait_for_slide(page, PAGE_SLIDES[-1])


def test_downloads_open_and_are_audited(app, page, tmp_path):
    base, password, engine = app
    open_presentation(page, base, password, "?slide=2")
    wait_for_slide(page, PAGE_SLIDES[1])
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 PPT 演示文稿").click()
    pptx_path = tmp_path / info.value.suggested_filename
    info.value.save_as(pptx_path)
    assert pptx_path.name == "汇报_江西省_2026-10.pptx"
    prs = Presentation(io.BytesIO(pptx_path.read_bytes()))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == ["江西省儿童关爱服务体系工作汇报", *PAGE_SLIDES, "数据来源与说明"]
    # the machine's Chromium drew the map as a picture (kaleido, in the download's thread)
    assert any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in prs.slides[2].shapes)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载全部指标 Excel").click()
    xlsx_path = tmp_path / info.value.suggested_filename
    info.value.save_as(xlsx_path)
    wb = load_workbook(xlsx_path)
    assert wb.sheetnames == ["县（市、区）", "设区市", "全省"]
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.username, audit_log.c.target).where(audit_log.c.action == "export")
        ).all()
    targets = [t for u, t in rows if u == "presenter"]
    assert any(t.startswith("汇报_江西省_2026-10.pptx") for t in targets), targets
    assert any(t.startswith("全部指标_江西省_2026-10.xlsx") for t in targets), targets


def test_print_media_hides_controls(app, page, artifacts_dir):
    base, password, _ = app
    open_presentation(page, base, password)
    wait_for_slide(page, PAGE_SLIDES[0])
    assert page.get_by_role("button", name="下一页").is_visible()
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="下一页").is_visible()
    assert not page.get_by_role("button", name="下载 PPT 演示文稿").is_visible()
    assert page.locator("table.deck-table").is_visible()
    page.pdf(path=str(artifacts_dir / "presentation_print.pdf"), format="A4")
