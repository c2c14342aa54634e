"""What the UI shows of every stored table: row count, the declared column schema and a preview of a few rows."""

from __future__ import annotations

import pyarrow as pa
from dagster import MetadataValue, TableColumn, TableSchema

from curata.tables import column_doc

PREVIEW = "preview"
PREVIEW_ROWS = 5
CELL_CHARS = 40
Metadata = dict[str, MetadataValue]


def column_schema(schema: pa.Schema) -> TableSchema:
    """The UI's column schema, with each column's meaning from the table declaration."""
    return TableSchema(columns=[TableColumn(f.name, str(f.type), description=column_doc(f) or None) for f in schema])


def table_preview(table: pa.Table, rows: int = PREVIEW_ROWS) -> Metadata:
    """Row count and the first rows as a markdown table, long cells cut."""
    header = "| " + " | ".join(table.column_names) + " |"
    rule = "|" + "---|" * table.num_columns
    body = ["| " + " | ".join(_cell(v) for v in row.values()) + " |" for row in table.slice(0, rows).to_pylist()]
    return {
        "dagster/row_count": MetadataValue.int(table.num_rows),
        PREVIEW: MetadataValue.md("\n".join([header, rule, *body])),
    }


def table_metadata(table: pa.Table, declared: pa.Schema) -> Metadata:
    """Row count, preview, and the column schema from the table's one declaration."""
    return {**table_preview(table), "dagster/column_schema": MetadataValue.table_schema(column_schema(declared))}


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = f"<{len(value)} bytes>" if isinstance(value, bytes) else str(value)
    text = text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"
    return text.replace("|", "\\|").replace("\n", " ")
