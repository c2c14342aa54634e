"""The warehouse: one Parquet file per (table, partition), each written atomically."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.parquet as pq

from curata.atomic import write_with

UNPARTITIONED = "_all"
_SAFE = re.compile(r"^[A-Za-z0-9_.=%-]+$")


class Warehouse:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, table: str, partition: str | None = None) -> Path:
        """Partition keys are percent-encoded, so a project named "a b/c" gets a file of its own."""
        key = quote(partition, safe="") if partition else UNPARTITIONED
        for part in (table, key):
            if not _SAFE.match(part) or part.startswith("."):
                raise ValueError(f"unsafe warehouse name {part!r}")
        return self.root / table / f"{key}.parquet"

    def write(self, table: str, data: pa.Table, partition: str | None = None) -> Path:
        target = self.path(table, partition)
        write_with(target, lambda tmp: pq.write_table(data, tmp, compression="zstd"))
        return target

    def exists(self, table: str, partition: str | None = None) -> bool:
        return self.path(table, partition).is_file()

    def read(self, table: str, partition: str | None = None, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(self.path(table, partition), columns=columns)

    def partitions(self, table: str) -> list[str]:
        folder = self.root / table
        if not folder.is_dir():
            return []
        return sorted(unquote(p.stem) for p in folder.glob("*.parquet") if not p.name.startswith("."))

    def rows(self, table: str) -> list[dict]:
        """Every stored row of a table, over all its partitions; empty when nothing is stored yet."""
        return [row for key in self.partitions(table) for row in self.read(table, key).to_pylist()]

    def read_partitions(
        self,
        table: str,
        partitions: list[str] | None = None,
        columns: list[str] | None = None,
        schema: pa.Schema | None = None,
    ) -> pa.Table:
        """Concatenates the named (default: all stored) partitions; an empty table if there are none."""
        keys = self.partitions(table) if partitions is None else partitions
        tables = [self.read(table, key, columns) for key in keys]
        if not tables:
            if schema is None:
                raise ValueError(f"no partitions of {table} and no schema to build an empty table")
            return schema.empty_table() if columns is None else schema.empty_table().select(columns)
        return pa.concat_tables(tables, promote_options="default")
