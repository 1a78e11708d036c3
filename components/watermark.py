"""The watermark of a signed-in user (issue 15): every page and every export carries a faint
mark naming the account, its region and role, and the date, so a screenshot, a photo of the
screen or a forwarded file shows whose it was (the practice of Chinese government dashboards).

One text, `text_for(user, today, region_name)`: 'zhangsan · 赣州市 · 市级用户 · 2026-05-14'. The
page shows it as a fixed overlay over the whole window (`inject`): a tiled SVG background at
low opacity, `pointer-events: none` and `user-select: none`, so charts and maps stay readable
and every click reaches what lies under it. The print layout draws its own copy
(components/print_css.py, `print_rules`); the exports get the text from `current_text` at the
click (read within the script run, since the file is built later) and draw it themselves:
components/pptx_export.py, components/briefing_doc.py, components/xlsx.py.

The text holds user data (the username, a region name from the imported regions): in the SVG
it is escaped for XML and the SVG is percent-encoded as a URL, so no character of it can end
the CSS string, the style element or the markup. Switched off by `[watermark] enabled = false`
or WATERMARK_ENABLED=false (core/settings.py `watermark_enabled`).
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote
from xml.sax.saxutils import escape

import streamlit as st

from components import auth, db
from components.auth import AuthUser
from core.settings import watermark_enabled
from data.config import database_url

CHINA_TZ = timezone(timedelta(hours=8))  # the date on the mark is Beijing time (no DST)
SEPARATOR = " · "
CLASS = "dash-watermark"
ANGLE = -24  # degrees the text is turned
FONT_PX = 15
SCREEN_OPACITY = 0.08  # faint on screen: the figures stay readable under it
PRINT_OPACITY = 0.10
Z_INDEX = 999_990  # above charts, maps and Streamlit's own layers; clicks pass through
FONTS = "'Noto Sans CJK SC','Microsoft YaHei','PingFang SC','SimHei',sans-serif"


def today() -> date:
    """Today in China (the server may run on UTC)."""
    return datetime.now(CHINA_TZ).date()


def text_for(user: AuthUser, on: date, region_name: str | None = None) -> str:
    """'zhangsan · 赣州市 · 市级用户 · 2026-05-14': account, region (its code when the name is
    unknown), role and the date."""
    region = (region_name or "").strip() or user.scope
    return SEPARATOR.join((user.username, region, user.role_label, on.isoformat()))


def user_text(url: str, user: AuthUser | None) -> str | None:
    """The mark for `user` today (their region's name read through the page cache), or None
    when the watermark is off or there is no user."""
    if user is None or not watermark_enabled():
        return None
    place = db.region_path(url, user.scope)
    return text_for(user, today(), place[-1]["name"] if place else None)


def current_text(url: str) -> str | None:
    """The mark for the signed-in user of this browser session, or None when the watermark is
    off or nobody is signed in. Call within the script run (it reads the session): a download
    builds its file later, on another thread."""
    if not watermark_enabled():
        return None
    return user_text(url, auth.current_user(url))


# ---------------------------------------------------------------- the tiled mark


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """Rough width in pixels: a wide (CJK) character one em, any other 0.6 em."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return (wide + 0.6 * (len(text) - wide)) * font_px


def tile_svg(text: str, font_px: float = FONT_PX) -> str:
    """One tile of the mark as SVG, `text` escaped for XML here. The text is turned by ANGLE
    and laid like bricks: once in the middle of the upper half, and across the lower half's
    left and right edges, so neighbouring tiles join those halves into whole texts and no
    text is ever cut where tiles meet."""
    width = text_width(text, font_px)
    a = math.radians(abs(ANGLE))
    w = round(width * math.cos(a) + font_px * math.sin(a) + font_px * 4)
    h = round(width * math.sin(a) + font_px * math.cos(a) + font_px * 3)
    body = escape(text, {'"': "&quot;", "'": "&apos;"})
    places = ((w // 2, h // 2), (0, h + h // 2), (w, h + h // 2))
    texts = "".join(
        f'<text x="{x}" y="{y}" transform="rotate({ANGLE} {x} {y})">{body}</text>'
        for x, y in places
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{2 * h}" '
        f'viewBox="0 0 {w} {2 * h}"><g font-family="{FONTS}" font-size="{font_px}" '
        f'fill="#1f2937" text-anchor="middle" dominant-baseline="middle">{texts}</g></svg>'
    )


def tile_url(text: str, font_px: float = FONT_PX) -> str:
    """The tile as a CSS url(): every character but letters, digits and `_.-~` is
    percent-encoded, so quotes, parentheses and angle brackets cannot leave the url()."""
    return f'url("data:image/svg+xml;charset=utf-8,{quote(tile_svg(text, font_px), safe="")}")'


def overlay_css(text: str) -> str:
    """The overlay's style: fixed over the whole window, tiled, faint, not hit by the pointer,
    not selectable, not in the print (print_css draws the paper's own copy). The element's
    Streamlit wrapper is laid out as if absent (`display: contents`), so it adds no gap."""
    return (
        f".{CLASS} {{ position: fixed; inset: 0; z-index: {Z_INDEX}; pointer-events: none; "
        "user-select: none; -webkit-user-select: none; "
        f"opacity: {SCREEN_OPACITY}; background-image: {tile_url(text)}; "
        "background-repeat: repeat; background-position: 0 0; }\n"
        f'[data-testid="stElementContainer"]:has(.{CLASS}), .stHtml:has(> .{CLASS}) '
        "{ display: contents; }\n"
        f"@media print {{ .{CLASS} {{ display: none !important; }} }}"
    )


def overlay_html(text: str) -> str:
    """The overlay element and its style, for st.html (hidden from screen readers)."""
    return (
        f'<style>{overlay_css(text)}</style><div class="{CLASS}" aria-hidden="true" '
        f'data-testid="{CLASS}" role="presentation"></div>'
    )


def print_rules(text: str) -> str:
    """The mark on every printed page (a fixed box repeats on each page in Chromium's
    print), a little darker than on screen since paper and toner wash it out."""
    return (
        f"@media print {{ body::after {{ content: ''; position: fixed; inset: 0; "
        f"z-index: {Z_INDEX}; pointer-events: none; opacity: {PRINT_OPACITY}; "
        f"background-image: {tile_url(text)}; background-repeat: repeat; }} }}"
    )


def inject(user: AuthUser | None, url: str | None = None) -> None:
    """Lay the overlay over this page for `user` (nothing when the watermark is off or
    nobody is signed in). `url` is the database's (default: the app's)."""
    text = user_text(url or database_url(), user)
    if text:
        st.html(overlay_html(text))
