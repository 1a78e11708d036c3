"""The watermark of issue 15 (components/watermark.py): the text names the account, region,
role and date; every export kind carries it — each PPTX slide, the Word briefing's header,
each Excel sheet's page header and footer, the print stylesheet — and the on-screen overlay
escapes whatever a username or a region name holds. Switched off ([watermark] enabled =
false, WATERMARK_ENABLED=false), no page and no file carries it.

The exports are built on the tiny demo database (SQLite: the builders' SQL is tested on both
backends by their own modules); the signed-in user is stubbed where the watermark module
asks for them (`auth.current_user`, `db.region_path`), as a page run would answer.
"""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import unquote

import docx
import pandas as pd
import pytest
from lxml import etree
from openpyxl import load_workbook
from pptx import Presentation
from pptx.oxml.ns import qn

from components import briefing_doc, exports, print_css, watermark
from components import deck as deckmod
from components.auth import AuthUser
from components.pptx_export import build_pptx
from components.pptx_text import WATERMARK_NAME
from components.workbook import build_workbook
from components.xlsx import excel_bytes
from core.settings import SettingsError, parse, watermark_enabled
from data.db import make_engine
from queries import briefing
from tests.fixtures.demo import tiny_sqlite_url

PERIOD, BASE = "2026-10", "2026-09"
DAY = date(2026, 10, 31)
USER = AuthUser("zhangsan", "prefecture", "360700", "360700", False, "password")
MARK = "zhangsan · 赣州市 · 市级用户 · 2026-10-31"
XML = etree.XMLParser(resolve_entities=False, no_network=True)  # our own SVG, parsed strictly
HOSTILE_NAME = "x\"'><script>alert(1)</script>&amp;%22)}</style>"


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    e = make_engine(tiny_sqlite_url(tmp_path_factory, "watermark"))
    yield e
    e.dispose()


@pytest.fixture
def signed_in(monkeypatch):
    """`USER` signed in, their region 赣州市, today `DAY`, the watermark on."""
    monkeypatch.delenv("WATERMARK_ENABLED", raising=False)
    monkeypatch.setattr(watermark.auth, "current_user", lambda url: USER)
    monkeypatch.setattr(watermark.db, "region_path", lambda url, code: [{"name": "赣州市"}])
    monkeypatch.setattr(watermark, "today", lambda: DAY)


def svg_texts(css: str) -> list[str]:
    """The texts of every SVG tile in `css` (data URLs decoded, XML parsed)."""
    out = []
    for encoded in re.findall(r'url\("data:image/svg\+xml;charset=utf-8,([^"]*)"\)', css):
        assert re.fullmatch(r"[A-Za-z0-9_.\-~%]*", encoded), "a raw character in the url()"
        svg = etree.fromstring(unquote(encoded).encode(), XML)
        out += [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    return out


# ---------------------------------------------------------------- the text and the switch


def test_text_names_account_region_role_and_date():
    assert watermark.text_for(USER, DAY, "赣州市") == MARK
    admin = AuthUser("root", "admin", None, "360000", True, "oidc")
    assert watermark.text_for(admin, DAY) == "root · 360000 · 系统管理员 · 2026-10-31"


def test_current_text_is_the_signed_in_users(signed_in, monkeypatch):
    assert watermark.current_text("sqlite://") == MARK
    monkeypatch.setattr(watermark.auth, "current_user", lambda url: None)
    assert watermark.current_text("sqlite://") is None


def test_setting_switches_it_off(signed_in, monkeypatch, tmp_path):
    assert watermark_enabled()
    off = tmp_path / "off.toml"
    off.write_text("[watermark]\nenabled = false\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(off))
    assert not watermark_enabled() and watermark.current_text("sqlite://") is None
    monkeypatch.setenv("WATERMARK_ENABLED", "true")  # the environment wins over the file
    assert watermark.current_text("sqlite://") == MARK
    monkeypatch.delenv("DASHBOARD_SETTINGS")
    for value in ("false", "0", "off"):
        monkeypatch.setenv("WATERMARK_ENABLED", value)
        assert watermark.current_text("sqlite://") is None
    monkeypatch.setenv("WATERMARK_ENABLED", "perhaps")  # not a boolean: as if unset (on)
    assert watermark_enabled()
    assert parse({}).watermark and not parse({"watermark": {"enabled": False}}).watermark
    with pytest.raises(SettingsError, match=r"\[watermark\] enabled"):
        parse({"watermark": {"enabled": "no"}})


# ---------------------------------------------------------------- the page overlay


def test_overlay_is_faint_fixed_and_lets_clicks_through():
    html = watermark.overlay_html(MARK)
    css = watermark.overlay_css(MARK)
    for rule in ("position: fixed", "inset: 0", "pointer-events: none", "user-select: none"):
        assert rule in css
    assert (
        0.06 <= watermark.SCREEN_OPACITY <= 0.10 and f"opacity: {watermark.SCREEN_OPACITY}" in css
    )
    assert f'class="{watermark.CLASS}"' in html and 'aria-hidden="true"' in html
    assert svg_texts(css) == [MARK] * 3


@pytest.mark.parametrize("region", ["赣州市", HOSTILE_NAME])
def test_overlay_escapes_a_hostile_username_and_region(region):
    user = AuthUser(HOSTILE_NAME, "county", "360732", "360732", False, "oidc")
    text = watermark.text_for(user, DAY, region)
    html = watermark.overlay_html(text)
    assert html.count("<style>") == 1 and html.count("</style>") == 1
    assert "<script" not in html and "alert(1)" not in html
    assert html.split("</style>")[1] == watermark.overlay_html("x").split("</style>")[1]
    style = html.split("<style>")[1].split("</style>")[0]
    assert svg_texts(style) == [text] * 3  # the exact text, back out of the XML and URL
    etree.fromstring(watermark.tile_svg(text).encode(), XML)  # well-formed whatever the text


def test_inject_renders_the_overlay_only_when_on(signed_in, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(watermark.st, "html", shown.append)
    watermark.inject(USER, "sqlite://")
    watermark.inject(None, "sqlite://")
    assert len(shown) == 1 and svg_texts(shown[0]) == [MARK] * 3
    monkeypatch.setenv("WATERMARK_ENABLED", "false")
    watermark.inject(USER, "sqlite://")
    assert len(shown) == 1


# ---------------------------------------------------------------- the print layout


def test_print_stylesheet_carries_the_mark(signed_in, monkeypatch):
    css = print_css.stylesheet(MARK)
    assert css.startswith(print_css.PRINT_CSS) and MARK not in print_css.PRINT_CSS
    assert svg_texts(css) == [MARK] * 3 and "@media print" in css.removeprefix(print_css.PRINT_CSS)
    assert print_css.stylesheet(None) == print_css.PRINT_CSS
    shown: list[str] = []
    monkeypatch.setattr(print_css.st, "html", shown.append)
    print_css.inject()
    monkeypatch.setenv("WATERMARK_ENABLED", "false")
    print_css.inject()
    assert svg_texts(shown[0]) == [MARK] * 3
    assert shown[1] == f"<style>{print_css.PRINT_CSS}</style>" and svg_texts(shown[1]) == []


# ---------------------------------------------------------------- PowerPoint


def slide_marks(slide) -> list[str]:
    return [sh.text_frame.text for sh in slide.shapes if sh.name == WATERMARK_NAME]


def test_pptx_has_the_mark_on_every_slide(eng):
    d = deckmod.build_deck(eng, "360000", PERIOD, "2026-10-31", True)
    prs = Presentation(io.BytesIO(build_pptx(d, watermark=MARK)))
    assert len(prs.slides) == len(d.slides) + 2
    for slide in prs.slides:
        marks = [sh for sh in slide.shapes if sh.name == WATERMARK_NAME]
        assert len(marks) >= 4 and all(sh.text_frame.text == MARK for sh in marks)
        assert list(slide.shapes)[-len(marks) :] == marks  # laid over the content
        for sh in marks:
            assert sh.rotation != 0
            locks = sh._element.find(qn("p:nvSpPr")).find(qn("p:cNvSpPr")).find(qn("a:spLocks"))
            assert locks.get("noSelect") == "1" and locks.get("noTextEdit") == "1"
            (run,) = sh.text_frame.paragraphs[0].runs
            alpha = run.font._rPr.find(qn("a:solidFill"))[0].find(qn("a:alpha"))
            assert int(alpha.get("val")) <= 30_000  # faint
    plain = Presentation(io.BytesIO(build_pptx(d)))
    assert all(slide_marks(s) == [] for s in plain.slides)
    assert MARK not in "".join(
        sh.text_frame.text for s in plain.slides for sh in s.shapes if sh.has_text_frame
    )


# ---------------------------------------------------------------- Word


def test_briefing_docx_has_the_mark_in_its_header(eng):
    b = briefing.build_briefing(eng, "360000", PERIOD, BASE)
    doc = docx.Document(io.BytesIO(briefing_doc.briefing_docx(b, "2026-10-31", True, MARK)))
    header = doc.sections[0].header
    assert not header.is_linked_to_previous
    assert MARK in "\n".join(p.text for p in header.paragraphs)
    vml = header._element.xpath(".//*[local-name()='textpath'][@string]")
    assert [v.get("string") for v in vml] == [MARK]  # Word's diagonal watermark
    assert doc.paragraphs[0].text == "江西省儿童关爱服务体系监测简报"  # the body unchanged
    plain = docx.Document(io.BytesIO(briefing_doc.briefing_docx(b, "2026-10-31", True)))
    header = plain.sections[0].header
    assert MARK not in "".join(p.text for p in header.paragraphs)
    assert not header._element.xpath(".//*[local-name()='textpath']")


def test_briefing_docx_escapes_the_mark_in_its_xml(eng):
    b = briefing.build_briefing(eng, "360000", PERIOD, BASE)
    text = f"{HOSTILE_NAME} · 赣州市"
    doc = docx.Document(io.BytesIO(briefing_doc.briefing_docx(b, watermark=text)))
    (vml,) = doc.sections[0].header._element.xpath(".//*[local-name()='textpath'][@string]")
    assert vml.get("string") == text


# ---------------------------------------------------------------- Excel


def sheet_marks(data: bytes) -> list[tuple[str, str]]:
    wb = load_workbook(io.BytesIO(data))
    return [(ws.oddHeader.center.text, ws.oddFooter.center.text) for ws in wb.worksheets]


def test_xlsx_has_the_mark_in_header_and_footer(eng):
    frames = {"甲": pd.DataFrame({"a": [1]}), "乙": pd.DataFrame({"b": ["x"]})}
    assert sheet_marks(excel_bytes(frames, "标题", watermark=MARK)) == [(MARK, MARK)] * 2
    assert sheet_marks(excel_bytes(frames, "标题")) == [(None, None)] * 2
    ampersand = sheet_marks(excel_bytes(frames, "标题", watermark="A&B 市"))[0][0]
    assert ampersand == "A&&B 市"  # a literal '&', not a header code
    workbook = build_workbook(eng, "360000", PERIOD, "2026-10-31", True, watermark=MARK)
    marks = sheet_marks(workbook)
    assert len(marks) == 3 and marks == [(MARK, MARK)] * 3
    assert set(sheet_marks(build_workbook(eng, "360000", PERIOD))) == {(None, None)}


def test_table_download_is_watermarked_for_the_signed_in_user(signed_in, monkeypatch):
    """exports.download_excel reads the mark within the run and the file built at the click
    carries it; with the watermark off it does not."""
    buttons: list[dict] = []
    monkeypatch.setattr(exports.st, "download_button", lambda label, **kw: buttons.append(kw))
    monkeypatch.setattr(exports, "audited", lambda build, target: build)
    frame = pd.DataFrame({"地区": ["兴国县"], "儿童之家覆盖率（%）": [0.9]})
    exports.download_excel(frame, "覆盖率", "覆盖率 · 赣州市 · 2026年10月", key="t")
    monkeypatch.setenv("WATERMARK_ENABLED", "false")
    exports.download_excel(frame, "覆盖率", "覆盖率 · 赣州市 · 2026年10月", key="u")
    assert sheet_marks(buttons[0]["data"]()) == [(MARK, MARK)]
    assert sheet_marks(buttons[1]["data"]()) == [(None, None)]
