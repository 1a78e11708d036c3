"""A server's first loads after a start, in headless Debian chromium (issue 18.5).

The AppTest timings of bench/pages.py keep imports and engines warm; a leader opening the
dashboard after a restart pays for everything. This starts `streamlit run server.py` on the
bench database, signs in as a province user and opens every page of the navigation once,
timing from the click to the page fully drawn: Streamlit's script run finished (the app
root's `data-test-script-state` back to notRunning after running) and every plotly chart
drawn. Twice: with the server-start warm-up (components/warmup.py, waited for) and
without it (WARM_CACHES=0, the first visit right after the server answers).

`python -m bench.first_load [--url sqlite:///…]` prints the table; bench/run.py puts it in
docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from data import accounts
from data.config import REPO_ROOT
from data.db import make_engine

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
USERNAME = "bench_province"
PAGES = (
    "儿童之家",
    "队伍建设",
    "个案与关爱",
    "机构与保障",
    "县区详情",
    "红黑榜",
    "预警",
    "会议简报",
    "汇报模式",
)
PRESENTATION = "汇报模式"  # full screen, without the navigation: opened last, once
WARM_UP_WAIT_S = 120.0
CLICK_BUDGET_S = 1.5  # issue 16: a click in the navigation to the page drawn, warm server
BARE_CLICKS = 6  # the bare app's clicks, median taken

# Counts finished script runs: the app root's state goes running → notRunning.
WATCH_RUNS_JS = """() => {
    // every change of the attribute is a record (several may come in one callback): a run
    // ended where the value set after `running` is `notRunning`
    const app = document.querySelector('[data-testid="stApp"]');
    const ATTR = 'data-test-script-state';
    window.__runsDone = 0;
    new MutationObserver((records) => {
        records.forEach((r, i) => {
            const set = i + 1 < records.length ? records[i + 1].oldValue : app.getAttribute(ATTR);
            if (r.oldValue === 'running' && set === 'notRunning') window.__runsDone++;
        });
    }).observe(app, {attributes: true, attributeOldValue: true, attributeFilter: [ATTR]});
}"""
DRAWN_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(c => c.querySelector('.main-svg'));
}"""


@dataclass
class FirstLoad:
    warm: bool
    warm_up_s: float | None  # server start to the warm-up's end (None: not run)
    sign_in_form_s: float = 0.0
    sign_in_s: float = 0.0  # 登录 pressed → overview drawn
    pages: list[tuple[str, float]] = field(default_factory=list)
    again: list[tuple[str, float]] = field(default_factory=list)  # the same clicks, second time
    bare_s: float = math.nan  # a click in bench/bare_app.py's navigation, median


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_password(url: str) -> str:
    """A fresh password for the bench's province account (created on first use)."""
    engine = make_engine(url)
    try:
        if accounts.get_user(engine, USERNAME) is None:
            return accounts.add_user(engine, USERNAME, "province", None, must_change_password=False)
        return accounts.reset_password(engine, USERNAME, must_change_password=False)
    finally:
        engine.dispose()


def _start(
    url: str, warm: bool, log: Path, script: str = "server.py"
) -> tuple[subprocess.Popen, str, float]:
    port = _free_port()
    env = {**os.environ, "REPORTING_DB_URL": url, "WARM_CACHES": "1" if warm else "0"}
    cmd = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 - our own command line
        cmd, cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1):  # noqa: S310
                return proc, base, started
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.1)


def _wait_for_warm_up(log: Path, started: float) -> float:
    deadline = time.monotonic() + WARM_UP_WAIT_S
    while time.monotonic() < deadline:
        if "[warm-up] done" in log.read_text(errors="replace"):
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"no warm-up within {WARM_UP_WAIT_S:.0f} s:\n{log.read_text()}")


def _drawn_after(page, action) -> float:
    """Seconds from `action()` to the next finished run with everything drawn."""
    done = page.evaluate("() => window.__runsDone")
    t = time.monotonic()
    action()
    page.wait_for_function(f"() => window.__runsDone > {done}", polling=20)
    page.wait_for_function(DRAWN_JS, polling=20)
    return time.monotonic() - t


def first_load(url: str, warm: bool, password: str) -> FirstLoad:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        proc, base, started = _start(url, warm, log)
        try:
            result = FirstLoad(warm, _wait_for_warm_up(log, started) if warm else None)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                page.set_default_timeout(120_000)
                t = time.monotonic()
                page.goto(base)
                page.get_by_label("用户名").wait_for()
                result.sign_in_form_s = time.monotonic() - t
                page.evaluate(WATCH_RUNS_JS)
                page.get_by_label("用户名").fill(USERNAME)
                page.get_by_label("密码").fill(password)
                t = time.monotonic()
                page.get_by_role("button", name="登录").click()
                page.get_by_role("heading", name="全省总览").wait_for()
                page.wait_for_function(DRAWN_JS, polling=20)
                result.sign_in_s = time.monotonic() - t
                page.evaluate(WATCH_RUNS_JS)  # a new document root after the sign-in
                nav = page.locator('[data-testid="stSidebarNav"]')
                # every page once, then again; 汇报模式 hides the navigation: last, once
                browsed = [t for t in PAGES if t != PRESENTATION]
                for visits, titles in (
                    (result.pages, browsed),
                    (result.again, browsed),
                    (result.pages, [PRESENTATION]),
                ):
                    for title in titles:
                        link = nav.get_by_text(title, exact=True)
                        visits.append((title, _drawn_after(page, link.click)))
                browser.close()
            return result
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def bare_click(url: str) -> float:
    """Median seconds from a click in bench/bare_app.py's navigation to its chart drawn."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        proc, base, _started = _start(url, False, Path(tmp) / "bare.log", "bench/bare_app.py")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(120_000)
                page.goto(base)
                page.wait_for_function(DRAWN_JS, polling=20)
                nav = page.locator('[data-testid="stSidebarNav"]')
                times = []
                for i in range(BARE_CLICKS):
                    # a run this short never shows as running: wait for the page's own title
                    name = "乙甲"[i % 2]
                    t = time.monotonic()
                    nav.get_by_text(name, exact=True).click()
                    page.get_by_role("heading", name=name).wait_for()
                    page.wait_for_function(DRAWN_JS, polling=20)
                    times.append(time.monotonic() - t)
                browser.close()
            return statistics.median(times[1:])  # the first draws plotly for the first time
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def measure(url: str) -> list[FirstLoad]:
    """Without the warm-up, then with it, each on a freshly started server; the bare app's
    click in the same run."""
    password = bench_password(url)
    loads = [first_load(url, False, password), first_load(url, True, password)]
    loads[1].bare_s = bare_click(url)
    return loads


def table(loads: list[FirstLoad]) -> list[str]:
    """Markdown: one row per step, a column per server start."""
    cold, warm = loads
    lines = [
        "| 服务器启动后的第一次 | 无预热 (s) | 预热后 (s) | 预热后再次打开 (s) "
        f"| ÷ 空白页 | ≤ {CLICK_BUDGET_S:g} s |",
        "|---|---:|---:|---:|---:|---|",
        f"| 登录页出现 | {cold.sign_in_form_s:.2f} | {warm.sign_in_form_s:.2f} | | | |",
        f"| 登录 → 全省总览画完 | {cold.sign_in_s:.2f} | {warm.sign_in_s:.2f} | | | |",
    ]
    again = dict(warm.again)
    for (title, a), (_t, b) in zip(cold.pages, warm.pages, strict=True):
        c = again.get(title, b)  # 汇报模式 is opened once: its first visit
        mark = "达标 met" if c <= CLICK_BUDGET_S else "未达标 MISSED"
        lines.append(
            f"| 点击 {title} → 画完 | {a:.2f} | {b:.2f} | {c:.2f} | {c / warm.bare_s:.1f}× "
            f"| {mark} |"
        )
    lines.append(
        f"| 空白页（bench/bare_app.py，一个图表）点击 → 画完 | | | {warm.bare_s:.2f} | 1.0× | |"
    )
    lines.append(
        f"\nThe warm-up itself took {warm.warm_up_s:.1f} s from the server's start "
        "(the warmed server is browsed once it has finished)."
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_load")
    parser.add_argument("--url", default=f"sqlite:///{REPO_ROOT / 'data' / 'reporting.db'}")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
        return 1
    print("\n".join(table(measure(args.url))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
