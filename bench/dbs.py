"""The benchmark's databases: where each (backend, scale) lives, building it when missing (to a
temporary name, renamed when complete, so a half-built database is never reused), row counts,
sizes and the rollup refresh.

SQLite: `province` is data/reporting.db (the demo `make run` serves) when it is missing or a
province demo, else data/bench_province.db; `xl` is data/bench_xl.db. PostgreSQL: databases
`dash_bench` and `dash_bench_xl` on the server of BENCH_POSTGRES_URL (or TEST_POSTGRES_URL).
Build and rollup times are kept in data/cache/bench.json so a reused database still reports
how long it took to build, and `--reuse-rollup` can report the last measured refresh.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from data.config import DEFAULT_SQLITE_PATH, REPO_ROOT
from data.db import make_engine, read_meta, upgrade
from data.schema import RAW_TABLES, kpi_snapshots

CACHE = REPO_ROOT / "data" / "cache" / "bench.json"
PG_NAMES = {"province": "dash_bench", "xl": "dash_bench_xl"}


def load_cache() -> dict:
    try:
        return json.loads(CACHE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def remember(kind: str, key: str, seconds: float) -> None:
    """Store a measured time (kind: build or rollup) for `key` (backend/scale/generated_at)."""
    cache = load_cache()
    cache.setdefault(kind, {})[key] = round(seconds, 1)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(cache, indent=1, sort_keys=True), encoding="utf-8")


def recalled(kind: str, key: str) -> float | None:
    return load_cache().get(kind, {}).get(key)


def _is_demo(url: str, scale: str) -> bool:
    engine = make_engine(url)
    try:
        meta = read_meta(engine)
    except Exception:  # an unreadable or foreign database is not ours to reuse
        return False
    finally:
        engine.dispose()
    return meta.get("demo") == "1" and meta.get("scale") == scale


class _BuildLog:
    """build_demo's progress lines, kept to read the rollup refresh time it reports."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(str(line))

    def rollup_s(self) -> float | None:
        for line in self.lines:
            hit = _ROLLUP_LINE.search(line)
            if hit:
                return float(hit.group(1))
        return None


_ROLLUP_LINE = re.compile(r"rollup refresh\s+[\d,]+ rows\s+([\d.]+) s")


def sqlite_path(scale: str) -> Path:
    if scale == "province":
        default = DEFAULT_SQLITE_PATH
        if not default.exists() or _is_demo(f"sqlite:///{default}", "province"):
            return default
    return DEFAULT_SQLITE_PATH.with_name(f"bench_{scale}.db")


def _build_sqlite(path: Path, scale: str) -> float | None:
    from data.demo import build_demo

    tmp = path.with_name(path.name + ".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    engine, log = make_engine(f"sqlite:///{tmp}"), _BuildLog()
    try:
        build_demo(engine, scale, rollup=True, progress=log)
    finally:
        engine.dispose()
    for p in (Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    for p in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    tmp.replace(path)
    return log.rollup_s()


def pg_admin(admin_url: str) -> Engine:
    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def pg_reachable(admin_url: str) -> str | None:
    """None when the server answers, else why not (one line)."""
    try:
        engine = pg_admin(admin_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: skip PostgreSQL, say why
        return str(exc).splitlines()[0][:160]


def pg_url(admin_url: str, scale: str) -> str:
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=PG_NAMES[scale])
    return url.render_as_string(hide_password=False)


def _pg_exists(admin: Engine, name: str) -> bool:
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        return found.first() is not None


def _build_pg(admin_url: str, scale: str) -> float | None:
    from data.demo import build_demo

    name = PG_NAMES[scale]
    tmp = f"{name}_tmp"
    admin = pg_admin(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{tmp}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{tmp}"'))
    engine = make_engine(make_url(pg_url(admin_url, scale)).set(database=tmp))
    log = _BuildLog()
    try:
        build_demo(engine, scale, rollup=True, progress=log)
    finally:
        engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'ALTER DATABASE "{tmp}" RENAME TO "{name}"'))
    admin.dispose()
    return log.rollup_s()


def ensure_demo(backend: str, scale: str, admin_url: str | None = None) -> tuple[str, bool]:
    """The URL of a demo database of this scale on `backend`, built when missing or not a
    demo of that scale; returns (url, built now)."""
    if backend == "sqlite":
        path = sqlite_path(scale)
        url = f"sqlite:///{path}"
        if path.exists() and _is_demo(url, scale):
            return url, False
        build = lambda: _build_sqlite(path, scale)  # noqa: E731
    else:
        url = pg_url(admin_url, scale)
        admin = pg_admin(admin_url)
        exists = _pg_exists(admin, PG_NAMES[scale])
        admin.dispose()
        if exists and _is_demo(url, scale):
            return url, False
        build = lambda: _build_pg(admin_url, scale)  # noqa: E731
    print(f"[bench] building the {scale} demo on {backend} (several minutes at xl) ...")
    t0 = time.perf_counter()
    rollup_s = build()
    key = db_key(backend, scale, url)
    remember("build", key, time.perf_counter() - t0)
    if rollup_s is not None:  # the build's own full refresh: no need to run it twice
        remember("rollup", key, rollup_s)
    return url, True


def db_key(backend: str, scale: str, url: str) -> str:
    """Identifies one build of one database: a rebuild gets a new generated_at."""
    engine = make_engine(url)
    try:
        stamp = read_meta(engine).get("generated_at", "?")
    finally:
        engine.dispose()
    return f"{backend}/{scale}/{stamp}"


def prepare(engine: Engine) -> None:
    """Bring a reused database to the current schema (the app refuses an old one)."""
    upgrade(engine)


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (*RAW_TABLES, kpi_snapshots)
        }


def size_bytes(engine: Engine) -> int:
    if engine.dialect.name == "sqlite":
        return os.path.getsize(engine.url.database)
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()


def rollup_time(engine: Engine) -> float:
    """Wall time of a full `data.rollup.refresh` (every region, every month)."""
    from data.rollup import refresh

    t0 = time.perf_counter()
    refresh(engine)
    return time.perf_counter() - t0
