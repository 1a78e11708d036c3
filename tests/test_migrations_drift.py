"""The migrations (data/migrations, applied by `data.db.upgrade`) and the models
(data/schema.py) describe one schema, on each backend: a model changed without its migration, or
a migration without its model, fails here rather than on a production database."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData

from data.db import main, schema_drift
from data.schema import metadata


def test_migrated_database_matches_models(engine) -> None:
    drift = schema_drift(engine)
    assert drift == [], "migrations and data/schema.py differ:\n" + "\n".join(map(str, drift))


def test_a_model_change_without_migration_is_drift(engine) -> None:
    """The check can fail: a column and an index only the models have are both reported."""
    changed = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    regions = changed.tables["regions"]
    regions.append_column(Column("drift_probe", Integer, nullable=True))
    regions.indexes.clear()
    kinds = {
        diff[0] if isinstance(diff, tuple) else diff[0][0] for diff in schema_drift(engine, changed)
    }
    assert {"add_column", "remove_index"} <= kinds


def test_check_command_on_fresh_sqlite(capsys) -> None:
    assert main(["check"]) == 0
    assert "迁移与模型一致" in capsys.readouterr().out
