"""How a table is declared, once: its columns with a line of meaning each, and how it is partitioned.

Writers build Arrow tables from `TableSpec.schema`, the IO manager gives empty tables and the UI
its column schema from it, and `docs/tables.md` is rendered from it (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

DOC = b"doc"


def col(name: str, type_: pa.DataType, doc: str) -> pa.Field:
    """A column whose meaning travels with the schema (as field metadata)."""
    return pa.field(name, type_, metadata={DOC: doc.encode("utf-8")})


def column_doc(field: pa.Field) -> str:
    return (field.metadata or {}).get(DOC, b"").decode("utf-8")


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[pa.Field, ...]
    partitioned_by: str | None = None  # "day", "project" or None
    # Column paths read back dictionary-encoded, as Parquet stores them: repeated strings arrive as codes.
    read_as_dictionary: tuple[str, ...] = ()

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))

    def empty(self) -> pa.Table:
        return self.schema.empty_table()

    def from_rows(self, rows: list[dict]) -> pa.Table:
        return pa.Table.from_pylist(rows, schema=self.schema)


def render_markdown(specs: list[TableSpec]) -> str:
    """docs/tables.md: every table with its columns, types and meanings."""
    out = [
        "# Output tables",
        "",
        "Generated from the table declarations (`python -m curata.catalog > docs/tables.md`); do not edit by hand.",
        "Every table lives in the store as `warehouse/<table>/<partition>.parquet` (daily partitions are",
        "`YYYY-MM-DD`, project partitions the percent-encoded project name, unpartitioned tables `_all.parquet`).",
        "Paths inside tables are POSIX, relative to the data root.",
    ]
    for spec in specs:
        part = f" (one partition per {spec.partitioned_by})" if spec.partitioned_by else ""
        out += ["", f"## {spec.name}{part}", "", spec.description, "", "| column | type | meaning |", "|---|---|---|"]
        out += [f"| {f.name} | {f.type} | {column_doc(f)} |" for f in spec.columns]
    return "\n".join(out) + "\n"
