"""The full 县区详情 sweep of `make bench`: tests/test_county_view.py's
`test_county_view_renders` for every one of the 100 counties (COUNTY_SWEEP=all; `make test`
opens 22 of them, the first and last of each prefecture), on the test's thin province tree, with
the per-county render times the test writes to artifacts/county_view_times.json.

The sweep is a test run, not a timing: its assertions (title, sections, comparison table, masked
roster, gap sections closed) hold for every county or the report says which failed. The times
are AppTest renders of one signed-in session going from county to county (cold: the county's
first render; warm: the same page again).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from data.config import REPO_ROOT

TIMES = REPO_ROOT / "artifacts" / "county_view_times.json"
TEST = "tests/test_county_view.py"


def run() -> list[str]:
    """Run the sweep; the report's lines (a table, and the failures if any)."""
    TIMES.unlink(missing_ok=True)  # never report an earlier run's times
    env = {**os.environ, "COUNTY_SWEEP": "all", "TEST_POSTGRES_URL": ""}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST]
    cmd += ["-k", "test_county_view_renders"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    wall = time.perf_counter() - start
    out = proc.stdout.strip().splitlines()
    result = out[-1].strip("= ") if out else f"pytest exited {proc.returncode}"
    lines = [
        f"`pytest {TEST} -k test_county_view_renders` with COUNTY_SWEEP=all: {result} "
        f"({wall:.0f} s with the database build)."
    ]
    if proc.returncode != 0:
        failed = [ln for ln in out if ln.startswith(("FAILED", "ERROR"))]
        lines += ["", "Failed:", "", *[f"- `{ln}`" for ln in failed[:20]]]
    if not TIMES.exists():
        return lines
    t = json.loads(TIMES.read_text(encoding="utf-8"))
    slowest = max(t["per_county"].items(), key=lambda kv: kv[1][0])
    lines += [
        "",
        "| counties | cold mean s | cold median s | cold max s (county) | warm mean s | warm max s |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {t['counties']} | {t['cold_mean_s']:.2f} | {t['cold_median_s']:.2f} | "
        f"{t['cold_max_s']:.2f} ({slowest[0]}) | {t['warm_mean_s']:.2f} | {t['warm_max_s']:.2f} |",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
