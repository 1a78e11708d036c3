"""The small core every layer may use: the metric registry, the period type, the settings.

Imports nothing of the app but itself (and `data.schema` for SQL on regions); see
docs/architecture.md for the layers.
"""
