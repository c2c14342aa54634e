"""How a table is declared, once: its columns with a line of meaning each, and how it is partitioned.

Writers build Arrow tables from `TableSpec.schema`, the IO manager gives empty tables and the UI
its column schema from it, and `docs/tables.md` is rendered from it (a test keeps them equal).
A column that can hold a person says so by its role: erasure, its proof and the embedder read the roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pyarrow as pa

DOC = b"doc"
ROLE = b"role"
HASH_COLUMN = b"hash_column"


@dataclass(frozen=True)
class Role:
    """What a column holds that ties a row to a person or an image."""

    kind: str
    hash_column: str | None = None  # an image path's content-hash column, when the row has one

    def __str__(self) -> str:
        return f"{self.kind} (hash: {self.hash_column})" if self.hash_column else self.kind


SESSION_FOLDER = Role("session folder")  # a session folder's name (`session-<ts>`): one person's record
PSEUDONYM = Role("pseudonym")  # keyed HMAC of an email: the only value derived from an email a table holds
IMAGE_HASH = Role("image hash")  # sha256 of an image's bytes
IMAGE_PATH = Role("image path")  # an image's path relative to the data root (a list column: several)


def image_path(hash_column: str | None = None) -> Role:
    """An image path paired with the column of its content hash, when the row has one."""
    return replace(IMAGE_PATH, hash_column=hash_column)


def col(name: str, type_: pa.DataType, doc: str, role: Role | None = None) -> pa.Field:
    """A column whose meaning (and role, if it has one) travels with the schema, as field metadata."""
    return with_role(pa.field(name, type_, metadata={DOC: doc.encode("utf-8")}), role)


def with_role(field: pa.Field, role: Role | None) -> pa.Field:
    """The field with its role in its metadata (unchanged without one)."""
    if role is None:
        return field
    meta = {ROLE: role.kind.encode("utf-8")}
    if role.hash_column:
        meta[HASH_COLUMN] = role.hash_column.encode("utf-8")
    return field.with_metadata({**(field.metadata or {}), **meta})


def column_doc(field: pa.Field) -> str:
    return (field.metadata or {}).get(DOC, b"").decode("utf-8")


def column_role(field: pa.Field) -> Role | None:
    meta = field.metadata or {}
    if ROLE not in meta:
        return None
    hash_column = meta.get(HASH_COLUMN)
    return Role(meta[ROLE].decode("utf-8"), hash_column.decode("utf-8") if hash_column else None)


def columns_with(columns: Iterable[pa.Field], role: Role) -> tuple[pa.Field, ...]:
    """The columns whose role is of this kind (an image path whatever its hash column), in declaration order."""
    return tuple(f for f in columns if (own := column_role(f)) is not None and own.kind == role.kind)


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[pa.Field, ...]
    partitioned_by: str | None = None  # "day", "project" or None
    # Column paths read back dictionary-encoded, as Parquet stores them: repeated strings arrive as codes.
    read_as_dictionary: tuple[str, ...] = ()
    images_embedded: bool = False  # the embedder covers the images of its image-path columns that have a hash
    reached_by_erasure: bool = True  # False only for a source of its own that holds no app user's records

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))

    def empty(self) -> pa.Table:
        return self.schema.empty_table()

    def from_rows(self, rows: list[dict]) -> pa.Table:
        return pa.Table.from_pylist(rows, schema=self.schema)


def render_markdown(specs: list[TableSpec]) -> str:
    """docs/tables.md: every table with its columns, types, roles and meanings."""
    out = [
        "# Output tables",
        "",
        "Generated from the table declarations (`python -m curata.catalog > docs/tables.md`); do not edit by hand.",
        "Every table lives in the store as `warehouse/<table>/<partition>.parquet` (daily partitions are",
        "`YYYY-MM-DD`, project partitions the percent-encoded project name, unpartitioned tables `_all.parquet`).",
        "Paths inside tables are POSIX, relative to the data root. A column's role says what ties it to a person",
        "or an image: erasure removes, and its proof looks for, the rows whose session folder, pseudonym or",
        "image hash was erased (or whose image path is inside an erased session folder).",
    ]
    for spec in specs:
        part = f" (one partition per {spec.partitioned_by})" if spec.partitioned_by else ""
        out += ["", f"## {spec.name}{part}", "", spec.description, *_notes(spec), ""]
        out += ["| column | type | role | meaning |", "|---|---|---|---|"]
        out += [f"| {f.name} | {f.type} | {column_role(f) or ''} | {column_doc(f)} |" for f in spec.columns]
    return "\n".join(out) + "\n"


def _notes(spec: TableSpec) -> list[str]:
    """What the roles of a table's columns are used for, when not for the default."""
    notes = ["The embedder covers its images."] if spec.images_embedded else []
    if not spec.reached_by_erasure and any(column_role(f) for f in spec.columns):
        notes.append("Erasure requests do not reach it: a source of its own, not app users' records.")
    return notes
