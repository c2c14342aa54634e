"""Finding a person's sessions without a scan: two indexes over `session_people`, sorted by pseudonym and by hash.

Each index is one Parquet file whose row groups are small and sorted, so a lookup reads the footer and the
one row group whose min/max statistics cover the value. An index records, in its own metadata, the version
(inode or ETag, size, time) of every `session_people` partition it was built from; a refresh re-reads only
partitions whose version changed since, so a stale index is noticed and mended, never trusted.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curata.erasure.tables import IMAGE_INDEX, PERSON_INDEX
from curata.layout import WAREHOUSE
from curata.sessions.tables import SESSION_PEOPLE
from curata.storage import Store
from curata.tables import TableSpec
from curata.warehouse import EXTENSION, Warehouse

ROW_GROUP_ROWS = 4096
SOURCES = b"curata.sources"  # schema metadata: {partition: version} of the session_people read


@dataclass(frozen=True)
class SortedIndex:
    spec: TableSpec
    rows_of: Callable[[pa.Table], pa.Table]  # session_people rows -> index rows (unsorted)

    @property
    def key_column(self) -> str:
        return self.spec.columns[0].name


def _people_rows(people: pa.Table) -> pa.Table:
    named = people.filter(pc.is_valid(people.column("user_pseudonym")))
    return named.select(PERSON_INDEX.schema.names).cast(PERSON_INDEX.schema)


def _image_rows(people: pa.Table) -> pa.Table:
    parts = []
    for column in ("original_sha256", "edited_sha256"):
        held = people.filter(pc.is_valid(people.column(column)))
        rest = [held.column(n) for n in IMAGE_INDEX.schema.names[1:]]
        parts.append(pa.table([held.column(column), *rest], schema=IMAGE_INDEX.schema))
    return pa.concat_tables(parts)


BY_PERSON = SortedIndex(PERSON_INDEX, _people_rows)
BY_IMAGE = SortedIndex(IMAGE_INDEX, _image_rows)
INDEXES = (BY_PERSON, BY_IMAGE)


def partition_versions(store: Store, table: str) -> dict[str, str]:
    """partition -> a string that changes whenever its file is replaced: one listing, no file read."""
    full = store.full(f"{WAREHOUSE}/{table}")
    if not store.fs.isdir(full):
        return {}
    out = {}
    for info in store.fs.ls(full, detail=True):
        name = info["name"].rstrip("/").rsplit("/", 1)[-1]
        if name.startswith(".") or not name.endswith(EXTENSION):
            continue
        changed = info.get("ETag") or f"{info.get('ino')}:{info.get('mtime')}"
        out[unquote(name[: -len(EXTENSION)])] = f"{changed}:{info.get('size')}"
    return out


def indexed_sources(warehouse: Warehouse, index: SortedIndex) -> dict[str, str] | None:
    """The partition versions the index was built from; None when there is no index yet."""
    if not warehouse.exists(index.spec.name):
        return None
    filesystem, base = warehouse.store.arrow()
    with filesystem.open_input_file(f"{base}/{warehouse.key(index.spec.name)}") as handle:
        metadata = pq.ParquetFile(handle).schema_arrow.metadata or {}
    return json.loads(metadata.get(SOURCES, b"{}"))


def refresh_indexes(warehouse: Warehouse) -> list[str]:
    """Brings both indexes up to date with `session_people`; returns the days it had to read."""
    versions = partition_versions(warehouse.store, SESSION_PEOPLE.name)
    read: dict[str, pa.Table] = {}
    for index in INDEXES:
        known = indexed_sources(warehouse, index)
        if known == versions:
            continue
        known = known or {}
        changed = sorted(day for day, version in versions.items() if known.get(day) != version)
        gone = sorted(set(known) - set(versions))
        for day in changed:
            if day not in read:
                read[day] = warehouse.read(SESSION_PEOPLE.name, day)
        fresh = index.rows_of(pa.concat_tables([read[d] for d in changed])) if changed else index.spec.empty()
        write_index(warehouse, index, _kept(warehouse, index, set(changed) | set(gone)), fresh, versions)
    return sorted(read)


def _kept(warehouse: Warehouse, index: SortedIndex, days: set[str]) -> pa.Table:
    if not warehouse.exists(index.spec.name):
        return index.spec.empty()
    table = warehouse.read(index.spec.name)
    if not days:
        return table
    return table.filter(pc.invert(pc.is_in(table.column("partition_date"), pa.array(sorted(days), pa.string()))))


def write_index(
    warehouse: Warehouse, index: SortedIndex, kept: pa.Table, fresh: pa.Table, versions: dict[str, str]
) -> None:
    """Both parts merged, sorted by the key, in small row groups, with the partition versions they come from."""
    table = pa.concat_tables([kept.cast(index.spec.schema), fresh.cast(index.spec.schema)])
    table = table.take(pc.sort_indices(table, sort_keys=[(index.key_column, "ascending")]))
    table = table.replace_schema_metadata({SOURCES: json.dumps(versions, sort_keys=True).encode()})
    with warehouse.store.writing(warehouse.key(index.spec.name)) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP_ROWS)


def remove_from_indexes(warehouse: Warehouse, folders: Iterable[str]) -> int:
    """Drops the folders' rows from both indexes and records the partitions' current versions.

    What an erasure does after rewriting `session_people`: the rows are gone there too, so the index
    stays true without reading any partition again.
    """
    names = pa.array(sorted(set(folders)), pa.string())
    versions = partition_versions(warehouse.store, SESSION_PEOPLE.name)
    removed = 0
    for index in INDEXES:
        if not warehouse.exists(index.spec.name):
            continue
        table = warehouse.read(index.spec.name)
        hit = pc.is_in(table.column("session_folder"), names)
        removed += pc.sum(hit).as_py() or 0
        write_index(warehouse, index, table.filter(pc.invert(hit)), index.spec.empty(), versions)
    return removed


def lookup(warehouse: Warehouse, index: SortedIndex, values: Iterable[str]) -> pa.Table:
    """The index rows whose key is one of `values`, reading only the row groups that can hold them."""
    wanted = sorted(set(values))
    if not wanted or not warehouse.exists(index.spec.name):
        return index.spec.empty()
    filesystem, base = warehouse.store.arrow()
    with filesystem.open_input_file(f"{base}/{warehouse.key(index.spec.name)}") as handle:
        parquet = pq.ParquetFile(handle)
        column = parquet.schema_arrow.get_field_index(index.key_column)
        groups = [
            i
            for i in range(parquet.num_row_groups)
            if _may_hold(parquet.metadata.row_group(i).column(column).statistics, wanted)
        ]
        table = parquet.read_row_groups(groups) if groups else index.spec.empty()
    return table.filter(pc.is_in(table.column(index.key_column), pa.array(wanted, pa.string())))


def _may_hold(statistics: pq.Statistics | None, wanted: list[str]) -> bool:
    if statistics is None or not statistics.has_min_max:
        return True
    at = bisect.bisect_left(wanted, statistics.min)
    return at < len(wanted) and wanted[at] <= statistics.max
