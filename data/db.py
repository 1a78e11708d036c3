"""Engine creation and schema migration (Alembic, head = the current contract)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event, select
from sqlalchemy.engine import make_url

from data.schema import app_meta, metadata

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # A sign-in holds the write lock while its password hash is verified (data/authentication
    # `_attempt_row`, ~0.1-0.2 s each), so sign-ins queue: 30 s lets ~150 arrive at once
    # (24 simultaneous ones exceeded the former 5 s on a loaded machine).
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean the installed psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """One engine per URL; SQLite gets foreign keys, WAL and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest migration (creates it on an empty database)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_drift(engine: Engine, target: MetaData = metadata) -> list:
    """Where the migrated database and `data.schema.metadata` disagree (tables, columns, types,
    server defaults, indexes, constraints), as Alembic's autogenerate diff: empty when the
    migrations and the models describe the same schema. A model changed without a migration
    (or the reverse) shows up here instead of on a production database."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, target))


def check_drift(url: str | None = None) -> list:
    """`schema_drift` of the database at `url` (which must be at head), or, without a URL, of a
    fresh SQLite database upgraded to head in a temporary directory."""
    if url is not None:
        engine = make_engine(url)
        try:
            if current_revision(engine) != head_revision():
                raise RuntimeError(
                    f"database at revision {current_revision(engine)}, head is {head_revision()}"
                )
            return schema_drift(engine)
        finally:
            engine.dispose()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'drift.db'}")
        try:
            upgrade(engine)
            return schema_drift(engine)
        finally:
            engine.dispose()


def read_meta(engine: Engine) -> dict[str, str]:
    """The `app_meta` key/values (demo flag, as-of date); empty when the table is missing."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, app_meta.name):
            return {}
        return {k: v for k, v in conn.execute(select(app_meta.c.key, app_meta.c.value))}


def write_meta(conn, values: dict[str, str]) -> None:
    conn.execute(app_meta.delete().where(app_meta.c.key.in_(list(values))))
    conn.execute(app_meta.insert(), [{"key": k, "value": v} for k, v in values.items()])


def main(argv: list[str] | None = None) -> int:
    """`python -m data.db upgrade|current [--url URL]`: migrate a reporting database to head, or
    show its revision. `python -m data.db check [--url URL]`: fail when the migrations and
    data/schema.py disagree (on a fresh SQLite database, or on the database at URL)."""
    import argparse

    from data.config import database_url

    parser = argparse.ArgumentParser(prog="python -m data.db")
    parser.add_argument("command", choices=["upgrade", "current", "check"])
    parser.add_argument(
        "--url",
        default=None,
        help="SQLAlchemy URL (default: the configured DB; for check, a fresh SQLite database)",
    )
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args.url)
    engine = make_engine(args.url or database_url())
    try:
        if args.command == "upgrade":
            upgrade(engine)
        print(f"数据库结构版本 (schema revision): {current_revision(engine)}")
    except Exception as exc:  # a CLI: report, do not dump a traceback on the operator
        print(f"数据库升级失败：{exc}")
        return 1
    finally:
        engine.dispose()
    return 0


def _check(url: str | None) -> int:
    """Print each difference (0 when none): CI runs this as `make drift`."""
    where = (
        make_url(normalise_url(url)).render_as_string(hide_password=True)
        if url
        else "fresh SQLite database at head"
    )
    try:
        diffs = check_drift(url)
    except Exception as exc:  # a CLI: report, do not dump a traceback on the operator
        print(f"结构检查失败 (schema check failed) [{where}]: {exc}")
        return 1
    if diffs:
        print(f"迁移与模型不一致 (migrations and data/schema.py differ) [{where}]: {len(diffs)} 处")
        for diff in diffs:
            print(f"  {diff}")
        return 1
    print(f"迁移与模型一致 (migrations match data/schema.py) [{where}], head {head_revision()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
