"""Reporting database: schema, engine, region tree, demo generator, rollups."""
