"""Validation at the door: the same rules for feeds and imports.

`validate(table, records, known_units)` types every field against the raw table's schema and applies the
domain rules (negative counts, end before start, unknown unit, broken one-stop identities, …). Rows that break
a rule go to quarantine with a reason naming the field and the rule; the others come back typed, ready for
`metrics.db.upsert_records`. The checks run as one vectorised DuckDB query, so they cost little at bulk scale.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metrics.db import LOCAL_TIMEZONE, QUARANTINE_SCHEMA, schema_catalogue
from metrics.schema import RAW_TABLE_KEYS

Records = pa.Table | Sequence[Mapping[str, Any]]

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}
_SHA256 = "[0-9a-f]{64}"

DOCUMENT_STATUSES = ("cho_xu_ly", "dang_xu_ly", "hoan_thanh", "tam_dung", "da_huy")
DOSSIER_STATUSES = (
    "dang_xu_ly", "cho_bo_sung", "tam_dung", "da_xu_ly_xong", "da_tra_ket_qua", "tu_choi", "dung_xu_ly",
    "cong_dan_rut",
)


def _one_of(column: str, values: Iterable[str]) -> tuple[str, str]:
    listed = ", ".join(values)
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} NOT IN ({quoted})", f"{column}: must be one of {listed}"


def _between(column: str, low: int, high: int) -> tuple[str, str]:
    return f"{column} NOT BETWEEN {low} AND {high}", f"{column}: must be between {low} and {high}"


def _not_negative(*columns: str) -> list[tuple[str, str]]:
    return [(f"{c} < 0", f"{c}: negative count") for c in columns]


def _not_before(end: str, start: str) -> tuple[str, str]:
    return f"{end} < {start}", f"{end}: before {start} (end before start)"


def _identity(total: str, parts: Sequence[str]) -> tuple[str, str]:
    return f"{total} <> {' + '.join(parts)}", f"identity broken: {total} = {' + '.join(parts)}"


STATS_COUNTS = (
    "tong_tiep_nhan", "truc_tuyen", "truc_tiep_bcci", "ky_truoc_chuyen_sang", "da_giai_quyet", "truoc_han",
    "dung_han", "qua_han", "dang_giai_quyet", "dang_trong_han", "dang_qua_han",
)

# Per raw table: (SQL predicate that is TRUE for a bad row, reason). Predicates see typed values; a NULL
# (no data) never breaks a rule.
RULES: dict[str, list[tuple[str, str]]] = {
    "documents": [
        _one_of("direction", ("in", "out", "internal")),
        _between("do_khan", 0, 4),
        _between("do_mat", 0, 3),
        _one_of("kenh", ("truc_lien_thong", "lgsp", "noi_bo", "giay")),
        _one_of("trang_thai", DOCUMENT_STATUSES),
        _not_before("ngay_dang_ky", "ngay_den"),
        _not_before("ngay_hoan_thanh", "ngay_den"),
    ],
    "dossiers": [
        _between("kenh", 1, 3),
        _one_of("trang_thai", DOSSIER_STATUSES),
        *_not_negative("so_lan_bo_sung", "tong_ngay_tam_dung"),
        _between("danh_gia_hai_long", 1, 5),
        _not_before("ngay_hen_tra", "ngay_tiep_nhan"),
        _not_before("ngay_ket_thuc_xu_ly", "ngay_tiep_nhan"),
        _not_before("ngay_tra_ket_qua", "ngay_tiep_nhan"),
    ],
    "procedures": [_one_of("muc_do", ("toan_trinh", "mot_phan", "khong"))],
    "feedback": [
        _one_of("trang_thai", ("dang_xu_ly", "da_xu_ly", "tu_choi")),
        _not_before("ngay_xu_ly", "ngay_tiep_nhan"),
    ],
    "onestop_stats": [
        *_not_negative(*STATS_COUNTS),
        _identity("tong_tiep_nhan", ("truc_tuyen", "truc_tiep_bcci", "ky_truoc_chuyen_sang")),
        _identity("da_giai_quyet", ("truoc_han", "dung_han", "qua_han")),
        _identity("dang_giai_quyet", ("dang_trong_han", "dang_qua_han")),
        _identity("tong_tiep_nhan", ("da_giai_quyet", "dang_giai_quyet")),
    ],
    "mailboxes": [(f"NOT regexp_full_match(mailbox_id, '{_SHA256}')", "mailbox_id: not a SHA-256 hex digest")],
    "mail_activity": [
        (f"NOT regexp_full_match(mailbox_id, '{_SHA256}')", "mailbox_id: not a SHA-256 hex digest"),
        *_not_negative("so_thu_gui", "so_thu_nhan"),
    ],
    "portal_probes": [],
    "portal_items": [],
}

CHECK_TEMPLATE = """
WITH typed AS (
    SELECT {typed_columns}, concat_ws('; ', {field_checks}) AS __field_errors, raw.__row
    FROM __input AS raw
)
SELECT * EXCLUDE (__field_errors), concat_ws('; ', nullif(__field_errors, ''), {rule_checks}) AS __reason
FROM typed
"""
SELECT_UNKNOWN_UNIT_RULE = "unit_code NOT IN (SELECT unit_code FROM __known_units)"

# Arrow types that already are the schema's type: no per-value type check needed (typed imports).
_ALREADY_TYPED: dict[str, Any] = {
    "TINYINT": pa.types.is_integer,
    "SMALLINT": pa.types.is_integer,
    "INTEGER": pa.types.is_integer,
    "BIGINT": pa.types.is_integer,
    "BOOLEAN": pa.types.is_boolean,
    "DOUBLE": pa.types.is_floating,
    "DATE": pa.types.is_date,
    "TIMESTAMP WITH TIME ZONE": lambda t: pa.types.is_timestamp(t) and t.tz is not None,
    "VARCHAR": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
}


def validate(
    table: str, records: Records, known_units: Iterable[str] | None
) -> tuple[pa.Table, pa.Table]:
    """Split `records` for raw table `table` into (good rows, typed; quarantined rows with their reasons).

    `records` is an Arrow table or a sequence of JSON-like dicts (fields the table does not have are ignored,
    as the contract says). `known_units=None` skips the unknown-unit rule. Quarantined rows follow
    `metrics.db.QUARANTINE_SCHEMA`, with `source='validation'` for the caller to overwrite.
    """
    if table not in RULES:
        raise ValueError(f"validate: unknown table {table!r}; valid tables: {sorted(RULES)}")
    columns = [(n, t, nn) for n, t, nn in schema_catalogue()[table] if n != "collected_at"]
    arrow_input = _as_arrow(records, columns)
    arrow_input = arrow_input.append_column("__row", pa.array(np.arange(arrow_input.num_rows, dtype=np.int64)))
    rules = list(RULES[table])
    con = _connection()
    con.register("__input", arrow_input)
    try:
        if known_units is not None:
            units = pa.table({"unit_code": pa.array(sorted(set(known_units)), pa.string())})
            con.register("__known_units", units)
            rules.append((SELECT_UNKNOWN_UNIT_RULE, "unit_code: unknown unit"))
        checked = con.sql(_check_sql(columns, rules, arrow_input.schema)).to_arrow_table()
    finally:
        for name in ("__input", "__known_units"):
            con.unregister(name)
    is_good = pc.equal(checked.column("__reason"), "")
    if pc.all(is_good).as_py() is not False:  # the usual bulk case: nothing to split out
        return checked.drop_columns(["__row", "__reason"]), _quarantine_rows(table, arrow_input, checked.slice(0, 0))
    good = checked.filter(is_good).drop_columns(["__row", "__reason"])
    bad = checked.filter(pc.invert(is_good))
    return good, _quarantine_rows(table, arrow_input, bad)


_LOCAL = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB per thread, kept: opening one costs 50-100 ms, more than validating a cycle."""
    con = getattr(_LOCAL, "con", None)
    if con is None:
        con = _LOCAL.con = duckdb.connect()
        con.execute(f"SET TimeZone = '{LOCAL_TIMEZONE}'")
    return con


def _quarantine_rows(table: str, arrow_input: pa.Table, bad: pa.Table) -> pa.Table:
    raw_rows = arrow_input.take(bad.column("__row")).drop_columns(["__row"]).to_pylist()
    keys = RAW_TABLE_KEYS[table]
    return pa.Table.from_pylist(
        [
            {
                "source": "validation",
                "unit_code": None if raw.get("unit_code") is None else str(raw["unit_code"]),
                "feed": table,
                "natural_key": "|".join("" if raw.get(k) is None else str(raw[k]) for k in keys),
                "reason": reason,
                "payload": json.dumps(raw, ensure_ascii=False, default=str),
            }
            for raw, reason in zip(raw_rows, bad.column("__reason").to_pylist(), strict=True)
        ],
        QUARANTINE_SCHEMA,
    )


def _check_sql(columns: list[tuple[str, str, bool]], rules: list[tuple[str, str]], schema: pa.Schema) -> str:
    # Identifiers come from the schema catalogue and the RULES table above, never from input.
    typed = ", ".join(f"TRY_CAST(raw.{n} AS {t}) AS {n}" for n, t, _ in columns)
    checks = [_field_check(n, t, nn, _ALREADY_TYPED.get(t, lambda _: False)(schema.field(n).type))
              for n, t, nn in columns]
    field_checks = ", ".join(c for c in checks if c != "NULL") or "NULL"
    rule_checks = ", ".join(
        f"CASE WHEN {predicate} THEN {_sql_text(reason)} END" for predicate, reason in rules
    ) or "NULL"
    return CHECK_TEMPLATE.format(typed_columns=typed, field_checks=field_checks, rule_checks=rule_checks)


def _field_check(name: str, data_type: str, not_null: bool, already_typed: bool) -> str:
    raw = f"raw.{name}"
    required = f"CASE WHEN {raw} IS NULL THEN '{name}: missing (required)' END" if not_null else "NULL"
    if already_typed:
        return required  # "NULL" when there is nothing to check: left out of the query
    shown = f"'''' || left(CAST({raw} AS VARCHAR), 40) || ''''"
    if data_type in _INTEGER_TYPES:
        bad = (f"NOT regexp_full_match(CAST({raw} AS VARCHAR), '-?[0-9]+') "
               f"OR TRY_CAST({raw} AS {data_type}) IS NULL")
        kind = f"an integer ({data_type})"
    elif data_type == "BOOLEAN":
        bad = f"lower(CAST({raw} AS VARCHAR)) NOT IN ('true', 'false')"
        kind = "a boolean (true/false)"
    elif data_type == "TIMESTAMP WITH TIME ZONE":
        bad = f"TRY_CAST({raw} AS {data_type}) IS NULL"
        kind = "an ISO 8601 timestamp"
    elif data_type == "DATE":
        bad = f"TRY_CAST({raw} AS DATE) IS NULL"
        kind = "a date (YYYY-MM-DD)"
    else:
        bad = f"TRY_CAST({raw} AS {data_type}) IS NULL"
        kind = f"a {data_type.lower()}"
    type_check = f"CASE WHEN {raw} IS NOT NULL AND ({bad}) THEN '{name}: ' || {shown} || ' is not {kind}' END"
    return f"{required}, {type_check}"


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _as_arrow(records: Records, columns: list[tuple[str, str, bool]]) -> pa.Table:
    if isinstance(records, pa.Table):
        return _conform_arrow(records, columns)
    arrays = {}
    for name, data_type, _ in columns:
        values = [record.get(name) for record in records]
        if data_type.endswith("[]"):
            arrays[name] = pa.array(values, pa.list_(pa.string()))
        else:
            arrays[name] = _text_array(values)
    return pa.table(arrays) if arrays else pa.table({})


def _text_array(values: list[Any]) -> pa.Array:
    """The column as text, exactly as `_as_text` renders each value; vectorised when the JSON values of the
    column share one plain type (strings, integers or booleans: the bulk case), value by value otherwise."""
    try:
        return pc.utf8_normalize(pa.array(values, pa.string()), form="NFC")  # typed: much faster than inferring
    except (pa.ArrowException, TypeError, ValueError):
        pass
    try:
        inferred = pa.array(values)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        inferred = None
    if inferred is not None:
        if pa.types.is_null(inferred.type):
            return pa.nulls(len(inferred), pa.string())
        if pa.types.is_boolean(inferred.type) or pa.types.is_int64(inferred.type):
            return pc.cast(inferred, pa.string())
    return pa.array([_as_text(v) for v in values], pa.string())


def _conform_arrow(table: pa.Table, columns: list[tuple[str, str, bool]]) -> pa.Table:
    arrays = {}
    for name, _, _ in columns:
        if name in table.column_names:
            column = table.column(name)
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                column = pc.utf8_normalize(column, form="NFC")
            arrays[name] = column
        else:
            arrays[name] = pa.nulls(table.num_rows, pa.string())
    return pa.table(arrays)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)
