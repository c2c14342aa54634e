"""The warehouse: one Parquet file per (table, partition) in the store, each written atomically."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.parquet as pq

from curata.catalog import spec_of
from curata.layout import WAREHOUSE
from curata.storage import Store

UNPARTITIONED = "_all"
EXTENSION = ".parquet"
_SAFE = re.compile(r"^[A-Za-z0-9_.=%-]+$")


def read_as_dictionary(table: str) -> tuple[str, ...]:
    """The table's dictionary-read columns; none for a table whose shape depends on the run (vectors)."""
    try:
        return spec_of(table).read_as_dictionary
    except KeyError:
        return ()


def partition_file(partition: str | None) -> str:
    """Partition keys are percent-encoded, so a project named "a b/c" gets a file of its own."""
    return quote(partition, safe="") if partition else UNPARTITIONED


class Warehouse:
    def __init__(self, store: Store):
        self.store = store

    def key(self, table: str, partition: str | None = None) -> str:
        name = partition_file(partition)
        for part in (table, name):
            if not _SAFE.match(part) or part.startswith("."):
                raise ValueError(f"unsafe warehouse name {part!r}")
        return f"{WAREHOUSE}/{table}/{name}{EXTENSION}"

    def write(self, table: str, data: pa.Table, partition: str | None = None) -> str:
        key = self.key(table, partition)
        self.write_key(key, data)
        return key

    def write_key(self, key: str, data: pa.Table) -> None:
        with self.store.writing(key) as tmp:
            pq.write_table(data, tmp, compression="zstd")

    def exists(self, table: str, partition: str | None = None) -> bool:
        return self.store.is_file(self.key(table, partition))

    def read(self, table: str, partition: str | None = None, columns: list[str] | None = None) -> pa.Table:
        return self.read_key(self.key(table, partition), columns, read_as_dictionary(table))

    def read_key(self, key: str, columns: list[str] | None = None, dictionary: tuple[str, ...] = ()) -> pa.Table:
        filesystem, base = self.store.arrow()
        wanted = [c for c in dictionary if columns is None or c.split(".")[0] in columns] or None
        return pq.read_table(f"{base}/{key}", columns=columns, filesystem=filesystem, read_dictionary=wanted)

    def partitions(self, table: str) -> list[str]:
        """Stored partitions of `table` (temporaries of a killed write are not partitions)."""
        names = self.store.children(f"{WAREHOUSE}/{table}")
        return sorted(unquote(n[: -len(EXTENSION)]) for n in names if n.endswith(EXTENSION))

    def read_all(self, table: str, partitions: list[str] | None = None, columns: list[str] | None = None) -> pa.Table:
        """The named (default: every stored) partitions as one table; an empty table of the declared schema if none."""
        keys = self.partitions(table) if partitions is None else partitions
        tables = [self.read(table, key, columns) for key in keys]
        if not tables:
            empty = spec_of(table).empty()
            return empty if columns is None else empty.select(columns)
        return pa.concat_tables(tables, promote_options="default")

    def rows(self, table: str) -> list[dict]:
        """Every stored row of a table, over all its partitions; empty when nothing is stored yet."""
        return self.read_all(table).to_pylist()
