"""Published versions holding a person's rows: each is rewritten without them (in its place among the versions)
or, when nothing else is left, withdrawn; the old folder is then removed and its withdrawal recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curata.erasure.holdings import DATASET_HOLDINGS, Erased, Holding
from curata.erasure.store_keys import withdrawn_key
from curata.export.rewrite import rewrite_version, row_files
from curata.export.versioned import dataset_key, point_at_latest, version_names
from curata.layout import EXPORTS
from curata.storage import Store


def versions_holding(store: Store, erased: Erased) -> dict[str, int]:
    """version key -> rows of `erased` it holds, over every version of every dataset that can hold a person."""
    out = {}
    for dataset in store.children(EXPORTS):
        holding = DATASET_HOLDINGS.get(dataset)
        if holding is None:
            continue
        for name in version_names(store, dataset):
            key = f"{dataset_key(dataset)}/{name}"
            rows = rows_held(store, key, holding, erased)
            if rows:
                out[key] = rows
    return out


def rows_held(store: Store, key: str, holding: Holding, erased: Erased) -> int:
    count = 0
    for rel in row_files(store, key):
        with store.open(f"{key}/{rel}") as handle:
            source = pq.ParquetFile(handle)
            present = set(source.schema_arrow.names)
            table = source.read(columns=[c for c in holding.columns if c in present])
        count += pc.sum(_only(holding, present).matches(table, erased)).as_py() or 0
    return count


def take_down(store: Store, key: str, rows: Callable[[pa.Table], pa.Table], reason: str) -> dict:
    """Replaces the version by its rewrite (or by nothing), records why, then removes it; safe to repeat."""
    dataset, version = key.rsplit("/", 2)[-2:]
    record_key = withdrawn_key(dataset, version)
    if not store.exists(f"{key}/manifest.json") and store.exists(record_key):
        point_at_latest(store, dataset)
        return json.loads(store.read_text(record_key))  # done by a run stopped before it could say so
    result = rewrite_version(store, key, rows, reason)
    record = {
        "dataset": dataset,
        "version": version,
        "withdrawn_at": datetime.now(UTC).isoformat(),
        "reason": reason,
        "replaced_by": result.new_key.rsplit("/", 1)[-1] if result.new_key else None,
        "rows_before": result.rows_before,
        "rows_after": result.rows_after,
    }
    store.write_text(record_key, json.dumps(record, indent=1))
    store.delete_prefix(key)
    point_at_latest(store, dataset)  # the dataset's folder loads the rewrite, or what is left
    return record


def without(holding: Holding, erased: Erased) -> Callable[[pa.Table], pa.Table]:
    def rows(batch: pa.Table) -> pa.Table:
        present = _only(holding, set(batch.column_names))
        return batch.filter(pc.invert(present.matches(batch, erased)))

    return rows


def _only(holding: Holding, present: set[str]) -> Holding:
    """The holding limited to the columns a file has (an older version may lack one)."""
    return Holding(
        holding.name,
        *(tuple(c for c in cols if c in present) for cols in (holding.folders, holding.pseudonyms, holding.hashes)),
        tuple(c for c in holding.paths if c in present),
    )
