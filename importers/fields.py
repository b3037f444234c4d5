"""Raw-table columns and their Arrow types, taken from the storage catalogue so importers never restate the schema."""

from __future__ import annotations

import pyarrow as pa

from metrics.db import schema_catalogue
from metrics.schema import RAW_TABLE_KEYS

ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "TINYINT": pa.int8(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "VARCHAR[]": pa.list_(pa.string()),
}

# Set by the daemon when it ingests the inbox file, never by the importer.
STORAGE_COLUMNS = frozenset({"collected_at"})


def raw_columns(table: str) -> dict[str, tuple[str, bool]]:
    """{column: (duckdb type, nullable)} of a raw table, collected_at excluded."""
    if table not in RAW_TABLE_KEYS:
        raise KeyError(f"unknown raw table {table!r}; valid tables: {sorted(RAW_TABLE_KEYS)}")
    return {
        name: (dtype, not not_null)
        for name, dtype, not_null in schema_catalogue()[table]
        if name not in STORAGE_COLUMNS
    }


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema an inbox file of this raw table carries."""
    return pa.schema([(name, ARROW_TYPES[dtype]) for name, (dtype, _n) in raw_columns(table).items()])


def to_arrow(table: str, records: list[dict[str, object]]) -> pa.Table:
    """Typed records (date, datetime, bool, int, str) → an Arrow table in the raw table's column order."""
    schema = arrow_schema(table)
    return pa.Table.from_pylist([{name: r.get(name) for name in schema.names} for r in records], schema=schema)
