"""The dashboard on a phone (issue 18.6) in headless Chromium, at 390×844 (a common phone's
CSS viewport), signed in as a province user on the overview tests' app (a tiny demo): the
overview, a county's 县区详情 and the 会议简报 never scroll sideways, the KPI cards stand
two a row (each under 60 % of the screen's width) instead of one card a third of the screen
high, and the page header is compact (components/kpi.py, CARD_CSS).

Measured (Streamlit 1.67, Debian Chromium, tiny demo), from the top of the page to the bottom
of the header line (江西省 | 统计月份 | 数据截至): before, overview and briefing 252 px, 宁都县
305 px (its title wraps); after, 166 px on all three. A KPI card: before 358 × 175 px, one a
row (15 cards ≈ 3,000 px before the map); after 175 × 196 px on the overview and 175 × 173 px
on 宁都县, two a row (≈ 1,850 px).
"""

from __future__ import annotations

import pytest

from tests.browser import test_overview_browser as overview
from tests.browser.test_county_user_browser import wait_until_idle

app_url = overview.app_url  # the overview tests' app: tiny demo, one province account

PHONE = {"width": 390, "height": 844}
HEADER_MAX_PX = 200  # the header line's bottom from the page top (before: 252–305 px)
# The page's width and scroll width, the header line's bottom and the KPI cards' boxes: the
# column of each st.metric in a bordered container (Streamlit stacks columns one a row
# below 640 px); the plain figures of 县区详情's lists are not cards.
LAYOUT_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const line = [...main.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .find(m => m.textContent.includes('统计月份') && m.textContent.includes('数据截至'));
    const cards = [...main.querySelectorAll('[data-testid="stMetric"]')].filter(m => {
        const card = m.closest('[data-testid="stVerticalBlock"]');
        return getComputedStyle(card).borderTopStyle !== 'none';
    }).map(m => {
        const r = (m.closest('[data-testid="stColumn"]') || m).getBoundingClientRect();
        return {left: r.left, top: r.top, width: r.width, height: r.height};
    });
    return {scrollWidth: document.scrollingElement.scrollWidth, width: innerWidth,
            header: line ? line.getBoundingClientRect().bottom : null, cards};
}"""
PAGES = (  # (path, heading, whether the page has KPI cards)
    ("/", "全省总览", True),
    ("/county?county=360730", "县区详情：宁都县", True),
    ("/briefing", "会议简报", False),
)


@pytest.mark.parametrize(
    ("path", "title", "has_cards"), PAGES, ids=["overview", "county", "briefing"]
)
def test_phone_layout(page, app_url, artifacts_dir, path, title, has_cards):
    overview.open_signed_in(page, app_url)  # at desktop size: it waits for the sidebar
    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}{path}")  # reopened at phone size: the sidebar starts collapsed
    overview.heading(page, title).wait_for()
    wait_until_idle(page)
    overview.assert_no_exception(page)
    if has_cards:  # under CI's load the idle check can pass before the cards' rerun lands
        page.wait_for_function(f"() => ({LAYOUT_JS})().cards.length >= 3", timeout=30_000)
    page.screenshot(
        path=str(artifacts_dir / f"phone_{path.strip('/').split('?')[0] or 'overview'}.png")
    )

    layout = page.evaluate(LAYOUT_JS)
    assert layout["width"] == PHONE["width"]
    assert layout["scrollWidth"] <= layout["width"] + 1, "the page scrolls sideways"
    assert layout["header"] is not None, "no header line (统计月份 …)"
    assert layout["header"] <= HEADER_MAX_PX, f"header {layout['header']:.0f} px high"
    cards = layout["cards"]
    if not has_cards:
        assert cards == []
        return
    assert len(cards) >= 3
    first, second, third = cards[:3]
    assert abs(first["top"] - second["top"]) <= 1, "the first two cards are not side by side"
    assert second["left"] > first["left"] + first["width"] - 1
    assert third["top"] >= first["top"] + first["height"] - 1, "the third card is not below"
    wide = [c for c in cards if c["width"] >= 0.6 * layout["width"]]
    assert wide == [], f"{len(wide)} of {len(cards)} cards take the whole width"
