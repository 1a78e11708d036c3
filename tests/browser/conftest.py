"""Headless-Chromium harness: Debian's /usr/bin/chromium (scripts/install_browser.sh) driven
by Playwright for Python, never a browser that Playwright downloads.

`streamlit_app(path)` starts `streamlit run` on a free port from the repository root, waits for
`/_stcore/health` and stops the process afterwards. Without /usr/bin/chromium (or without the
playwright package) the browser tests are skipped with the reason, unless `REQUIRE_BROWSER=1`,
which turns that into a failure (CI sets it once the browser is installed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = REPO_ROOT / "artifacts"
STARTUP_TIMEOUT_S = 60.0


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit not healthy after {STARTUP_TIMEOUT_S:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def streamlit_app(tmp_path_factory) -> Iterator[Callable[..., str]]:
    """Start a Streamlit app (path relative to the repo root) and return its base URL; every
    app started is terminated at the end of the session."""
    started: list[subprocess.Popen] = []

    def start(script: str, env: dict[str, str] | None = None) -> str:
        port = free_port()
        log = tmp_path_factory.mktemp("streamlit") / "server.log"
        cmd = [
            sys.executable, "-m", "streamlit", "run", script,
            "--server.headless", "true",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
            "--server.enableStaticServing", "true",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        with log.open("w") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log)
        return url

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the session (Debian's, with the flags a container needs)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page (own context) at a projector-like size, with Chinese locale."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
