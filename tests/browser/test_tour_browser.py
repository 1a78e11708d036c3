"""A tour of the whole app in headless Chromium (`streamlit run server.py` on a tiny demo
database), as a province, a prefecture (赣州市) and a county (兴国县) user: sign in, open every
page of the role's navigation, drill the overview map 省 → 市 → 县 (province user), change the
month in the sidebar and download one Excel table. It fails on any Streamlit exception box,
any browser console error, any request to another host than the app's, and any English word
left in the visible text of the main area or the sidebar. A screenshot of every page goes to
artifacts/tour/.

The tiny demo holds 南昌市 360100 (东湖区, 新建区 360112, 进贤县) and 赣州市 360700 (宁都县, 兴国县
360732); its newest month is 2026-10.
"""

from __future__ import annotations

import functools
import re
import subprocess
import time
from pathlib import Path

import pytest

from components import nav
from data import accounts
from data.db import make_engine
from tests.browser.test_county_user_browser import sign_in_browser, wait_until_idle
from tests.browser.test_map_browser import RequestLog, county_codes, prefecture_codes
from tests.browser.test_overview_browser import click_map_region, heading, wait_for_regions
from tests.fixtures.demo import tiny_sqlite_url

NANCHANG, XINJIAN = "360100", "360112"
EXCEPTION_BOX = '[data-testid="stException"]'
EXCEL_BUTTON = '[data-testid="stDownloadButton"] button:has-text("Excel") >> visible=true'
ROLES = (  # (role, region, username, overview heading)
    ("province", None, "tour_province", "全省总览"),
    ("prefecture", "360700", "tour_prefecture", "赣州市总览"),
    ("county", "360732", "tour_county", "兴国县总览"),
)
ADMIN = ("admin", None, "tour_admin", "全省总览")
NAV_OVERVIEW = {"province": "全省总览", "prefecture": "全市总览", "county": "本县总览"}
# ASCII words allowed in the UI: proper names, file formats and units a Chinese user reads
# as they are.
ALLOWED_WORDS = frozenset(
    {"PPT", "PPTX", "Excel", "Word", "PowerPoint", "URL", "OIDC", "xlsx", "csv", "CSV", "PDF"}
)
WORD = re.compile(r"[A-Za-z]{3,}")
# Dotted names (settings.toml, composite.weights, a file name) are technical names a user
# copies as they are, not words to translate.
DOTTED = re.compile(r"[\w\-/]+(?:\.[\w\-]+)+")

# Text the user sees: text nodes that are rendered, outside Material Symbols icons (their
# ligature names, e.g. "dashboard", are drawn as glyphs, not read as words) and outside code
# (a command such as `.venv/bin/python -m data.users reset …` is copied as it is).
VISIBLE_TEXT_JS = """(selector) => {
    const out = [];
    for (const root of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!el || !node.textContent.trim()) continue;
            if (el.closest('[data-testid="stIconMaterial"], code, script, style, noscript')) continue;
            const style = getComputedStyle(el);
            if (style.fontFamily.includes('Material')) continue;
            if (style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
            out.push(node.textContent.trim());
        }
    }
    return out.join('\\n');
}"""


@pytest.fixture(scope="module")
def tour_app(streamlit_app, tmp_path_factory) -> dict:
    """The app on a tiny demo database with one account per role; base URL and passwords."""
    url = tiny_sqlite_url(tmp_path_factory, "tour")
    engine = make_engine(url)
    passwords = {
        name: accounts.add_user(engine, name, role, region, must_change_password=False)
        for role, region, name, _t in (*ROLES, ADMIN)
    }
    engine.dispose()
    base = streamlit_app("server.py", env={"REPORTING_DB_URL": url, "PROVINCE_CODE": "360000"})
    return {"url": base, "passwords": passwords}


class Watch:
    """Console errors, uncaught page errors and every request of one browser page."""

    def __init__(self, page, app_url: str) -> None:
        self.errors: list[str] = []
        self.requests = RequestLog(page, app_url)
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))


MAIN_AND_SIDEBAR = '[data-testid="stMain"], [data-testid="stSidebar"]'


def english_words(page, usernames: set[str], selector: str = MAIN_AND_SIDEBAR) -> list[str]:
    """Visible lines of the main area and sidebar (or of `selector`: "body" for menus,
    tooltips and dialogs too) holding an ASCII word of 3+ letters that is not allowed
    (usernames removed first)."""
    text = page.evaluate(VISIBLE_TEXT_JS, selector)
    for name in usernames:
        text = text.replace(name, "")
    text = DOTTED.sub("", text)
    return [
        line
        for line in dict.fromkeys(text.splitlines())
        if any(w not in ALLOWED_WORDS for w in WORD.findall(line))
    ]


@functools.cache
def cjk_font_chars() -> frozenset[int]:
    """The code points Noto Sans CJK SC draws (fontconfig's charset: hex ranges). Colour
    emoji (🔴) and dingbats (✔ ✖) are not among them: on this Debian box and on many
    domestic-Linux desktops without an emoji font they render as empty boxes."""
    out = subprocess.run(
        ["fc-list", "-f", "%{charset}\n", "Noto Sans CJK SC:style=Regular"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")[0]
    chars: set[int] = set()
    for part in out.split():
        lo, _, hi = part.partition("-")
        chars.update(range(int(lo, 16), int(hi or lo, 16) + 1))
    assert 0x4E2D in chars, "fonts-noto-cjk is not installed"  # 中
    return frozenset(chars)


def undrawable_glyphs(page) -> list[str]:
    """Visible characters outside ASCII that the CJK font cannot draw, with a line each."""
    text = page.evaluate(VISIBLE_TEXT_JS, MAIN_AND_SIDEBAR)
    fonts = cjk_font_chars()
    bad = {c for c in text if ord(c) > 0x7E and not c.isspace() and ord(c) not in fonts}
    lines = text.splitlines()
    return sorted(f"U+{ord(c):04X} {c} in: {next(ln for ln in lines if c in ln)[:60]}" for c in bad)


def check_page(page, watch: Watch, shots: Path, name: str, usernames: set[str]) -> None:
    """The page has finished: no exception box, no console error, no English, no glyph the
    CJK font cannot draw; screenshot."""
    wait_until_idle(page)
    assert page.locator(EXCEPTION_BOX).count() == 0, name
    assert page.get_by_text("页面出错").count() == 0, name
    assert not watch.errors, (name, watch.errors)
    english = english_words(page, usernames)
    assert english == [], (name, english)
    glyphs = undrawable_glyphs(page)
    assert glyphs == [], (name, glyphs)
    page.screenshot(path=str(shots / f"{name}.png"))


def nav_pages(page) -> list[str]:
    """Titles of the pages in the sidebar navigation, in order."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    return [t.strip().splitlines()[-1] for t in links.all_inner_texts()]  # after the icon


def open_nav_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    heading_or_idle = page.get_by_role("heading").first
    heading_or_idle.wait_for()
    wait_until_idle(page)


def change_period(page, label: str, period: str) -> None:
    """Pick another month in the sidebar's 统计月份 selectbox; the URL follows."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="统计月份").click()
    page.get_by_role("option", name=label, exact=True).click()
    page.wait_for_function(f"() => location.search.includes('period={period}')")
    wait_until_idle(page)


def export_excel(page, shots: Path, name: str) -> str:
    """Download the first Excel table of the page; the file name of the download."""
    button = page.locator(EXCEL_BUTTON).first
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    download = info.value
    target = shots / f"{name}_{download.suggested_filename}"
    download.save_as(str(target))
    assert target.stat().st_size > 1000
    assert target.read_bytes()[:2] == b"PK"  # an .xlsx is a zip
    return download.suggested_filename


@pytest.mark.parametrize(("role", "region", "username", "title"), ROLES, ids=[r[0] for r in ROLES])
def test_tour(browser, tour_app, artifacts_dir, role, region, username, title):
    started = time.monotonic()
    shots = artifacts_dir / "tour"
    shots.mkdir(exist_ok=True)
    usernames = {name for _r, _g, name, _t in ROLES}
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(45_000)
    watch = Watch(page, tour_app["url"])
    try:
        page.goto(tour_app["url"])
        sign_in_browser(page, username, tour_app["passwords"][username])
        heading(page, title).wait_for()
        check_page(page, watch, shots, f"{role}_00_overview", usernames)

        titles = nav_pages(page)
        assert titles[0] == NAV_OVERVIEW[role] and "县区详情" in titles and len(titles) >= 6, titles
        export_page = None  # the first page (not 汇报模式) with an Excel download
        for i, nav_title in enumerate(titles[1:], start=1):
            open_nav_page(page, nav_title)
            check_page(page, watch, shots, f"{role}_{i:02d}_{nav_title}", usernames)
            if export_page is None and nav_title != "汇报模式":
                export_page = nav_title if page.locator(EXCEL_BUTTON).count() else None
        assert export_page is not None, "no page offers an Excel download"

        exit_show = page.get_by_text("退出汇报模式")  # 汇报模式 hides the sidebar
        if exit_show.count() and exit_show.first.is_visible():
            exit_show.first.click()
        else:
            open_nav_page(page, NAV_OVERVIEW[role])
        heading(page, title).wait_for()
        if role == "province":  # the map: 省 → 市 → 县
            wait_for_regions(page, prefecture_codes())
            click_map_region(page, NANCHANG)
            wait_for_regions(page, county_codes(NANCHANG))
            heading(page, "南昌市总览").wait_for()
            check_page(page, watch, shots, f"{role}_map_prefecture", usernames)
            click_map_region(page, XINJIAN)
            page.wait_for_function(f"() => location.search.includes('county={XINJIAN}')")
            heading(page, "县区详情：新建区").wait_for()
            check_page(page, watch, shots, f"{role}_map_county", usernames)

        change_period(page, "2026年9月", "2026-09")
        assert page.get_by_text("统计月份：2026年9月").count() >= 1
        check_page(page, watch, shots, f"{role}_period_2026-09", usernames)

        open_nav_page(page, export_page)
        filename = export_excel(page, shots, role)
        assert filename.endswith(".xlsx"), filename
        check_page(page, watch, shots, f"{role}_export", usernames)
        assert watch.requests.foreign() == [], watch.requests.foreign()
    finally:
        context.close()
    print(f"tour {role}: {time.monotonic() - started:.1f} s")


def test_admin_sees_the_whole_navigation_in_chinese(browser, tour_app, artifacts_dir):
    """The admin's 15 pages are all listed, by section (Streamlit folds a menu of more than
    twelve into ten and an English "View 5 more" unless it is expanded), and the
    administration pages (the file uploader among them) show no English and no glyph the
    CJK font lacks."""
    shots = artifacts_dir / "tour"
    shots.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(45_000)
    watch = Watch(page, tour_app["url"])
    try:
        page.goto(tour_app["url"])
        sign_in_browser(page, "tour_admin", tour_app["passwords"]["tour_admin"])
        heading(page, "全省总览").wait_for()
        wait_until_idle(page)
        rows = nav.rows_for("admin")
        assert len(rows) > 12  # more than Streamlit shows folded
        assert nav_pages(page) == [r.title_for("admin") for r in rows]
        sidebar = page.locator('[data-testid="stSidebarNav"]')
        assert sidebar.get_by_text("View", exact=False).count() == 0
        sections = [r.section for r in rows if r.section]
        for section in dict.fromkeys(sections):
            assert sidebar.get_by_text(section, exact=True).count() == 1, section
        for r in rows:
            if r.roles == nav.ADMIN:
                open_nav_page(page, r.title)
                check_page(page, watch, shots, f"admin_{r.url_path}", {"tour_admin"})
        # a table's toolbar: search and full screen, no English-only CSV or column buttons
        table = page.locator('[data-testid="stDataFrame"]').first
        table.hover()
        toolbar = page.locator('[data-testid="stElementToolbarButton"] >> visible=true')
        toolbar.first.wait_for()
        labels = [b.get_attribute("aria-label") for b in toolbar.locator("button").all()]
        assert labels and not {"Download as CSV", "Show/hide columns"} & set(labels), labels
    finally:
        context.close()
