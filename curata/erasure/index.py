"""Finding a person's sessions without a scan: two indexes over `session_people`, keyed by pseudonym and by hash.

Each index is sharded by the first two hex characters of its key (`warehouse/<index>/<prefix>.parquet`), so
a lookup reads one small file per key, and removing a person rewrites only the shards of their keys. A
state file records the version (ETag, or modification time, and size) of every `session_people` partition
the index holds. A partition written since is *stale*: a lookup reads it directly instead of trusting the
shards for that day, and a refresh (nightly) merges it in. So the index can lag, never mislead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

from curata.erasure.store_keys import index_state_key
from curata.erasure.tables import IMAGE_INDEX, PERSON_INDEX
from curata.layout import WAREHOUSE
from curata.sessions.tables import SESSION_PEOPLE
from curata.storage import Store
from curata.tables import TableSpec
from curata.warehouse import EXTENSION, Warehouse

PREFIX = 2  # hex characters of the key that name its shard: 256 shards


@dataclass(frozen=True)
class SortedIndex:
    spec: TableSpec
    rows_of: Callable[[pa.Table], pa.Table]  # session_people rows -> index rows

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


def shard_of(key: str) -> str:
    return key[:PREFIX]


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
        changed = info.get("ETag") or info.get("mtime")  # S3: the content's hash; a local file: its mtime
        out[unquote(name[: -len(EXTENSION)])] = f"{changed}:{info.get('size')}"
    return out


def indexed_versions(store: Store, index: SortedIndex) -> dict[str, str]:
    key = index_state_key(index.spec.name)
    return json.loads(store.read_text(key))["versions"] if store.exists(key) else {}


def _write_versions(store: Store, index: SortedIndex, versions: dict[str, str]) -> None:
    store.write_text(index_state_key(index.spec.name), json.dumps({"versions": versions}, sort_keys=True))


def stale_days(
    warehouse: Warehouse, index: SortedIndex, now: dict[str, str] | None = None
) -> tuple[set[str], set[str]]:
    """(days written since the index took them in, days gone since): what a lookup reads directly."""
    now = partition_versions(warehouse.store, SESSION_PEOPLE.name) if now is None else now
    known = indexed_versions(warehouse.store, index)
    return {d for d, v in now.items() if known.get(d) != v}, set(known) - set(now)


def lookup(
    warehouse: Warehouse, index: SortedIndex, values: Iterable[str], now: dict[str, str] | None = None
) -> pa.Table:
    """The index rows whose key is one of `values`: their shards, and any stale day read directly.

    `now` is the listing of `session_people` versions, when the caller has just taken it.
    """
    wanted = pa.array(sorted(set(values)), pa.string())
    if not len(wanted):
        return index.spec.empty()
    changed, gone = stale_days(warehouse, index, now)
    skip = pa.array(sorted(changed | gone), pa.string())
    parts = []
    for shard in sorted({shard_of(v) for v in wanted.to_pylist()}):
        if warehouse.exists(index.spec.name, shard):
            rows = warehouse.read(index.spec.name, shard)
            parts.append(rows.filter(pc.invert(pc.is_in(rows.column("partition_date"), skip))))
    if changed:
        parts.append(index.rows_of(warehouse.read_all(SESSION_PEOPLE.name, sorted(changed))))
    table = pa.concat_tables([p.cast(index.spec.schema) for p in parts]) if parts else index.spec.empty()
    return table.filter(pc.is_in(table.column(index.key_column), wanted))


def refresh_indexes(warehouse: Warehouse) -> list[str]:
    """Merges every stale day into both indexes (each shard written atomically, the state last); returns them."""
    now = partition_versions(warehouse.store, SESSION_PEOPLE.name)
    read: dict[str, pa.Table] = {}
    for index in INDEXES:
        changed, gone = stale_days(warehouse, index, now)
        if not changed and not gone and warehouse.store.exists(index_state_key(index.spec.name)):
            continue
        for day in changed - read.keys():
            read[day] = warehouse.read(SESSION_PEOPLE.name, day)
        fresh = index.rows_of(pa.concat_tables([read[d] for d in sorted(changed)])) if changed else index.spec.empty()
        _merge(warehouse, index, fresh, changed | gone)
        _write_versions(warehouse.store, index, now)
    return sorted(read)


def _merge(warehouse: Warehouse, index: SortedIndex, fresh: pa.Table, days: set[str]) -> None:
    """Every shard without the rows of `days`, plus its share of `fresh`; shards that do not change are kept."""
    drop = pa.array(sorted(days), pa.string())
    by_shard = pc.utf8_slice_codeunits(fresh.column(index.key_column), 0, PREFIX)
    incoming = set(pc.unique(by_shard).to_pylist())
    for shard in sorted(incoming | set(warehouse.partitions(index.spec.name))):
        old = warehouse.read(index.spec.name, shard) if warehouse.exists(index.spec.name, shard) else None
        kept = old.filter(pc.invert(pc.is_in(old.column("partition_date"), drop))) if old is not None else None
        new = fresh.filter(pc.equal(by_shard, shard)) if shard in incoming else None
        if new is None and old is not None and kept.num_rows == old.num_rows:
            continue
        _write_shard(warehouse, index, shard, [t for t in (kept, new) if t is not None])


def _write_shard(warehouse: Warehouse, index: SortedIndex, shard: str, parts: list[pa.Table]) -> None:
    table = pa.concat_tables([p.cast(index.spec.schema) for p in parts])
    table = table.take(pc.sort_indices(table, sort_keys=[(index.key_column, "ascending")]))
    warehouse.write(index.spec.name, table, shard)


def remove_from_indexes(
    warehouse: Warehouse, folders: Iterable[str], keys: dict[str, Iterable[str]], before: dict[str, str]
) -> int:
    """Drops the folders' rows from the shards of their keys ({index name: keys}); returns rows removed.

    `before` holds the versions of the person's `session_people` partitions as they were when the request
    found them: a day the index held then, and which the erasure alone rewrote since, stays fresh.
    """
    names = pa.array(sorted(set(folders)), pa.string())
    now = partition_versions(warehouse.store, SESSION_PEOPLE.name)
    removed = 0
    for index in INDEXES:
        for shard in sorted({shard_of(k) for k in keys.get(index.spec.name, [])}):
            if not warehouse.exists(index.spec.name, shard):
                continue
            table = warehouse.read(index.spec.name, shard)
            hit = pc.is_in(table.column("session_folder"), names)
            count = pc.sum(hit).as_py() or 0
            if count:
                warehouse.write(index.spec.name, table.filter(pc.invert(hit)), shard)
                removed += count
        versions = indexed_versions(warehouse.store, index)
        fresh = {d: now[d] for d, v in before.items() if versions.get(d) == v and d in now}
        if fresh:
            _write_versions(warehouse.store, index, versions | fresh)
    return removed
