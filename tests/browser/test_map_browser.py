"""The map in a real (headless Chromium) browser: drawn offline, no request to any other host,
and the drill-down 省 → 市 → 县 by clicking regions, kept in the URL.

The app is tests/browser/apps/map_demo.py (synthetic values; 东湖区 360102 and 赣州市 360700
have no data). Expected counts are Jiangxi's (FACTS.md): 11 prefectures, 100 counties,
吉安市 (360800) 13 counties, 井冈山市 360881 among them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

APP = "tests/browser/apps/map_demo.py"
PATHS = "path.choroplethlocation"

# Which region codes the drawn shapes carry (plotly binds its calc data to each path).
DRAWN_CODES_JS = f"""() => [...document.querySelectorAll('{PATHS}')]
    .map(p => p.__data__ && p.__data__.loc).filter(Boolean).sort()"""

# Sizes of the drawn shapes against the map area: an inverted ring (wrong orientation) fills
# the whole globe and so the whole map; a real region is a fraction of it.
SHAPE_STATS_JS = f"""() => {{
    const paths = [...document.querySelectorAll('{PATHS}')];
    const frame = document.querySelector('.geo .bg rect, g.geo rect.bg') ||
        paths[0].ownerSVGElement;
    const fb = frame.getBoundingClientRect();
    return {{
        frameArea: fb.width * fb.height,
        areas: paths.map(p => {{ const b = p.getBoundingClientRect(); return b.width * b.height; }}),
        fills: paths.map(p => getComputedStyle(p).fill),
    }};
}}"""

# Pixels of overlap between the map's legend box and each drawn region's bounding box: a
# legend laid over the map (赣州's south, 18.4) hides regions; one beside or below it, none.
LEGEND_OVERLAP_JS = f"""() => {{
    const paths = [...document.querySelectorAll('{PATHS}')];
    const legend = paths.length && paths[0].closest('.js-plotly-plot').querySelector('g.legend');
    if (!legend) return null;
    const l = legend.getBoundingClientRect();
    return paths.map(p => {{
        const b = p.getBoundingClientRect();
        const w = Math.min(l.right, b.right) - Math.max(l.left, b.left);
        const h = Math.min(l.bottom, b.bottom) - Math.max(l.top, b.top);
        return w > 0 && h > 0 ? w * h : 0;
    }}).reduce((a, b) => a + b, 0);
}}"""

# A screen point well inside the drawn region `loc`: the grid point of its bounding box that is
# inside the fill and farthest from any grid point outside it (concave shapes included).
INTERIOR_POINT_JS = f"""(loc) => {{
    const p = [...document.querySelectorAll('{PATHS}')]
        .find(e => e.__data__ && e.__data__.loc === loc);
    if (!p) return null;
    const b = p.getBBox(), n = 30, inside = [], outside = [];
    for (let i = 0; i <= n; i++) for (let j = 0; j <= n; j++) {{
        const x = b.x + b.width * i / n, y = b.y + b.height * j / n;
        (p.isPointInFill(new DOMPoint(x, y)) ? inside : outside).push([x, y]);
    }}
    if (!inside.length) return null;
    let best = inside[0], bestD = -1;
    for (const q of inside) {{
        let d = Infinity;
        for (const o of outside) d = Math.min(d, (q[0] - o[0]) ** 2 + (q[1] - o[1]) ** 2);
        if (d > bestD) {{ bestD = d; best = q; }}
    }}
    const s = new DOMPoint(best[0], best[1]).matrixTransform(p.getScreenCTM());
    return [s.x, s.y];
}}"""


class RequestLog:
    """Every request and WebSocket the page opens, to prove nothing leaves the app's host."""

    def __init__(self, page, app_url: str) -> None:
        self.host = urlparse(app_url).netloc
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))

    def foreign(self) -> list[str]:
        """URLs to any host but the app's own (data: and blob: URLs stay in the page)."""
        out = []
        for url in self.urls:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.netloc != self.host:
                out.append(url)
        return out


@pytest.fixture(scope="module")
def app_url(streamlit_app) -> str:
    return streamlit_app(APP, env={"PROVINCE_CODE": "360000"})


def wait_for_regions(page, expected: list[str]) -> None:
    """Wait until the map shows exactly these region codes (a rerun replaces the chart)."""
    page.wait_for_function(
        f"""(want) => {{
            const got = ({DRAWN_CODES_JS})();
            return got.length === want.length && got.every((c, i) => c === want[i]);
        }}""",
        arg=sorted(expected),
        timeout=45_000,
    )


def assert_canvas_drawn(canvas, path) -> None:
    """The deck.gl canvas is on screen and more than 5% of it is not page background: the
    extruded regions were drawn (deck.gl draws on the next animation frames)."""
    from io import BytesIO

    from PIL import Image

    canvas.page.wait_for_timeout(2000)
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    image = Image.open(BytesIO(canvas.screenshot(path=str(path)))).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    drawn = sum(n for n, rgb in colours if sum(rgb) < 3 * 235)
    assert drawn > 0.05 * image.width * image.height


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def click_region(page, code: str) -> None:
    point = page.evaluate(INTERIOR_POINT_JS, code)
    assert point is not None, f"region {code} is not drawn"
    page.mouse.move(point[0], point[1])
    page.wait_for_timeout(300)  # plotly picks the clicked location from its hover state
    page.mouse.click(point[0], point[1])


def county_codes(prefecture: str | None = None) -> list[str]:
    from data.regions import real_units

    return [
        u.code
        for u in real_units("360000")
        if u.level == "county" and (prefecture is None or u.parent_code == prefecture)
    ]


def prefecture_codes() -> list[str]:
    from data.regions import real_units

    return [u.code for u in real_units("360000") if u.level == "prefecture"]


def assert_drawn_not_inverted(page) -> None:
    stats = page.evaluate(SHAPE_STATS_JS)
    assert stats["areas"] and min(stats["areas"]) > 0
    # No shape covers the map (an anticlockwise ring would fill everything but itself).
    assert max(stats["areas"]) < 0.5 * stats["frameArea"]
    # Filled with the class colours, not left transparent.
    assert all(f not in ("none", "rgba(0, 0, 0, 0)") for f in stats["fills"])


def test_county_map_draws_offline(page, app_url, artifacts_dir):
    log = RequestLog(page, app_url)
    page.goto(f"{app_url}/?map=county")
    expected = county_codes()
    assert len(expected) == 100
    wait_for_regions(page, expected)
    assert page.locator(PATHS).count() == 100
    assert_drawn_not_inverted(page)
    # The grey 无数据 class is in the legend (东湖区 has no value) with the status words.
    legend = page.locator("g.legend").text_content() or ""
    for word in ("无数据", "达标", "接近目标", "未达标"):
        assert word in legend
    # Hover: the region's name, the metric and its formatted value, in Chinese.
    point = page.evaluate(INTERIOR_POINT_JS, "360881")
    page.mouse.move(point[0], point[1])
    page.wait_for_function(
        "() => (document.querySelector('g.hoverlayer')?.textContent || '').includes('井冈山市')"
    )
    hover = page.locator("g.hoverlayer").text_content() or ""
    assert "儿童之家覆盖率：" in hover and "%" in hover
    page.screenshot(path=str(artifacts_dir / "map_county.png"), full_page=True)
    assert any(url.endswith("/app/static/world_110m.json") for url in log.urls)
    assert log.foreign() == []


def test_drill_down_province_prefecture_county(page, app_url, artifacts_dir):
    log = RequestLog(page, app_url)
    page.goto(app_url)
    prefectures = prefecture_codes()
    assert len(prefectures) == 11
    wait_for_regions(page, prefectures)
    assert page.locator(PATHS).count() == 11
    assert_drawn_not_inverted(page)
    assert query(page) == {}

    # 省 → 市: click 吉安市, its 13 counties replace the prefectures.
    click_region(page, "360800")
    jian = county_codes("360800")
    assert len(jian) == 13
    wait_for_regions(page, jian)
    page.wait_for_function("() => location.search.includes('prefecture=360800')")
    assert query(page) == {"prefecture": "360800"}
    assert page.get_by_text("当前层级：江西省 › 吉安市").count() == 1
    page.screenshot(path=str(artifacts_dir / "map_prefecture.png"), full_page=True)

    # 市 → 县: click 井冈山市, the county detail opens and the URL says so.
    click_region(page, "360881")
    page.wait_for_function("() => location.search.includes('county=360881')")
    assert query(page) == {"prefecture": "360800", "county": "360881"}
    page.get_by_text("县区详情：井冈山市").wait_for()
    assert page.get_by_text("当前层级：江西省 › 吉安市 › 井冈山市").count() == 1
    page.screenshot(path=str(artifacts_dir / "map_county_detail.png"), full_page=True)

    # The breadcrumb goes back up: 吉安市, then 江西省.
    page.get_by_role("button", name="吉安市").click()
    page.wait_for_function("() => !location.search.includes('county=')")
    wait_for_regions(page, jian)
    assert query(page) == {"prefecture": "360800"}
    page.get_by_role("button", name="江西省").click()
    page.wait_for_function("() => !location.search.includes('prefecture=')")
    wait_for_regions(page, prefectures)
    assert log.foreign() == []


@pytest.mark.parametrize(
    "path, level",
    [
        ("/", None),
        ("/?map=county", None),
        ("/?prefecture=360700", "360700"),
        ("/?prefecture=360800", "360800"),
    ],
)
def test_the_legend_never_covers_the_map(page, app_url, path, level):
    page.set_viewport_size({"width": 700, "height": 900})
    page.goto(app_url + path)
    expected = (
        county_codes(level)
        if level
        else (county_codes() if "county" in path else prefecture_codes())
    )
    wait_for_regions(page, expected)
    assert page.evaluate(LEGEND_OVERLAP_JS) == 0


def test_bookmarked_and_foreign_urls(page, app_url):
    # A shared link opens the drilled view directly.
    page.goto(f"{app_url}/?prefecture=360800&county=360881")
    wait_for_regions(page, county_codes("360800"))
    page.get_by_text("县区详情：井冈山市").wait_for()
    # A code of another province (广州市) is refused: the province view.
    page.goto(f"{app_url}/?prefecture=440100")
    wait_for_regions(page, prefecture_codes())
    assert page.get_by_text("当前层级：江西省", exact=True).count() == 1


def test_deck_3d_offline(page, app_url, artifacts_dir):
    log = RequestLog(page, app_url)
    page.goto(f"{app_url}/?deck=1")
    wait_for_regions(page, prefecture_codes())
    canvas = page.locator("canvas").first
    canvas.wait_for()
    assert_canvas_drawn(canvas, artifacts_dir / "deck_3d.png")
    assert log.foreign() == []
