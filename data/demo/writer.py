"""Bulk loading of the generated column arrays, fast on SQLite and PostgreSQL.

The generators know nothing of databases; this is the one place that turns day numbers and
numpy arrays into driver values and uses each backend's bulk path (`executemany` on SQLite,
COPY on PostgreSQL) in one transaction, with secondary indexes (and PostgreSQL foreign keys)
dropped for the load and rebuilt once at the end.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Boolean, Date, Engine, Table
from sqlalchemy.schema import CreateIndex, DropIndex

from data import schema as s
from data.demo.arrays import EPOCH

BATCH_ROWS = 100_000  # rows per executemany / COPY batch: bounds the Python objects alive


class BulkWriter:
    """Loads column arrays into the raw tables in one transaction, fast on both backends:
    executemany on SQLite (foreign keys checked by the tests, not per row), COPY on
    PostgreSQL; secondary indexes dropped first and rebuilt once at the end."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self.prep = engine.dialect.identifier_preparer
        self.fairy = engine.raw_connection()
        self.conn = self.fairy.driver_connection
        self.counts: dict[str, int] = {}
        self.tables: tuple[Table, ...] = ()
        self._sqlite_restore: list[str] = []
        self._pg_fks: list[tuple[str, str, str]] = []

    def _exec(self, sql: str) -> None:
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def _ddl(self, element) -> str:
        return str(element.compile(dialect=self.engine.dialect))

    def _table_list(self, tables) -> str:
        """Quoted, comma-separated table names for TRUNCATE and ANALYZE."""
        return ", ".join(self.prep.format_table(t) for t in tables)

    def begin(self, tables: tuple[Table, ...]) -> None:
        """Empty every table, drop the loaded tables' secondary indexes, start the load."""
        self.tables = tables
        if not self.pg:
            cur = self.conn.cursor()
            fk = cur.execute("PRAGMA foreign_keys").fetchone()[0]
            sync = cur.execute("PRAGMA synchronous").fetchone()[0]
            cur.close()
            self._sqlite_restore = [
                f"PRAGMA foreign_keys={int(fk)}",
                f"PRAGMA synchronous={int(sync)}",
            ]
            if self.conn.in_transaction:
                self.conn.commit()
            for pragma in (
                "PRAGMA foreign_keys=OFF",
                "PRAGMA synchronous=OFF",
                "PRAGMA cache_size=-262144",
            ):
                self._exec(pragma)
            self._exec("BEGIN")
            for table in reversed(s.metadata.sorted_tables):
                self._exec(self._ddl(table.delete()))
        else:
            self._exec(
                f"TRUNCATE TABLE {self._table_list(s.metadata.sorted_tables)} "
                "RESTART IDENTITY CASCADE"
            )
            # Foreign keys are checked row by row during COPY (most of the load time): drop
            # them and add them back at the end, which validates each in one pass.
            cur = self.conn.cursor()
            cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
                ([self.prep.format_table(t) for t in tables],),
            )
            self._pg_fks = cur.fetchall()
            cur.close()
            for table_name, name, _definition in self._pg_fks:
                self._exec(f"ALTER TABLE {table_name} DROP CONSTRAINT {self.prep.quote(name)}")
        for table in tables:
            for index in table.indexes:
                self._exec(self._ddl(DropIndex(index, if_exists=True)))

    def insert(self, table: Table, columns: dict[str, np.ndarray]) -> int:
        """Append rows given as one array per column (dates as day numbers, NULL = -1)."""
        names = [c.name for c in table.columns if c.name in columns]
        n = len(columns[names[0]]) if names else 0
        for lo in range(0, n, BATCH_ROWS):
            hi = min(lo + BATCH_ROWS, n)
            lists = [self._py(table.c[name], columns[name][lo:hi]) for name in names]
            rows = zip(*lists, strict=True)
            if self.pg:
                cols = ", ".join(self.prep.quote(c) for c in names)
                cur = self.conn.cursor()
                with cur.copy(f"COPY {self.prep.format_table(table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.close()
            else:
                marks = ", ".join("?" * len(names))
                # S608 false positive: identifiers from data.schema metadata, values bound as `?`.
                sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"  # noqa: S608
                self.conn.executemany(sql, rows)
        self.counts[table.name] = self.counts.get(table.name, 0) + n
        return n

    def _py(self, column, values: np.ndarray) -> list:
        """Python values the driver takes: ISO dates, 0/1 (SQLite) or bool (PG), None."""
        if isinstance(column.type, Date) and values.dtype != object:
            days = np.asarray(values, dtype=np.int64)
            iso = np.datetime_as_string((EPOCH + days).astype("datetime64[D]"), unit="D")
            out = iso.astype(object)
            out[days < 0] = None
            return out.tolist()
        if isinstance(column.type, Boolean) and values.dtype != object:
            return values.astype(bool).tolist() if self.pg else values.astype(np.int8).tolist()
        return values.tolist()

    def finish(self) -> None:
        """Rebuild the indexes, move PostgreSQL's id sequences past the loaded ids, commit."""
        for table in self.tables:
            for index in table.indexes:
                self._exec(self._ddl(CreateIndex(index, if_not_exists=True)))
        if self.pg:
            for table_name, name, definition in self._pg_fks:
                self._exec(
                    f"ALTER TABLE {table_name} ADD CONSTRAINT {self.prep.quote(name)} {definition}"
                )
            for table in self.tables:
                if "id" in table.c and table.c.id.primary_key:
                    self._exec(  # table names from data.schema metadata, no user input
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
        self.conn.commit()
        if self.pg:  # fresh statistics, so the rollup's first queries get good plans
            self._exec("ANALYZE " + self._table_list(self.tables))
            self.conn.commit()
        else:
            self._exec("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Roll back anything unfinished and give the connection back as it came."""
        try:
            self.conn.rollback()
            for pragma in self._sqlite_restore:
                self._exec(pragma)
        finally:
            self.fairy.close()
