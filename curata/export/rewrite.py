"""Rewriting a published version without some rows, or with some values replaced: erasure and key rotation.

A published folder is never changed in place. The rewritten copy is staged, then published under the old
version's time with a new digest (`v<same time>-<new digest>`), so it keeps its place among the versions;
the caller then removes the old folder. Files that are not row tables (documents, pictures) are copied.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from curata.export.card import render_card
from curata.export.crop_boxes import CROP_BOXES
from curata.export.edit_triplets import EDIT_TRIPLETS
from curata.export.parquet import writer_options
from curata.export.preference_pairs import preference_spec
from curata.export.versioned import CARD, MANIFEST, STAGING, DatasetSpec, dataset_key
from curata.hashing import sha256_file
from curata.storage import Store

Rows = Callable[[pa.Table], pa.Table]  # one batch of a split -> what the rewritten split holds of it
_BATCH_ROWS = 256

# How to re-render each dataset's card from the schema of its files.
CARD_SPECS: dict[str, Callable[[pa.Schema], DatasetSpec]] = {
    "edit_triplets": lambda schema: EDIT_TRIPLETS,
    "crop_boxes": lambda schema: CROP_BOXES,
    "preference_pairs": lambda schema: preference_spec(schema.field("clip_0").type.list_size),
}


@dataclass(frozen=True)
class Rewritten:
    old_key: str
    new_key: str | None  # None when no row is left: the caller withdraws the version without replacement
    rows_before: int
    rows_after: int


def version_files(store: Store, key: str) -> list[str]:
    """The row tables of a published version (relative paths), from its manifest."""
    manifest = json.loads(store.read_text(f"{key}/{MANIFEST}"))
    return [rel for rel, entry in manifest["files"].items() if "rows" in entry]


def rewrite_version(store: Store, key: str, rows: Rows, reason: str, now: datetime | None = None) -> Rewritten:
    """Publishes `key` rewritten by `rows`; done before (a killed run) it is found, not written twice."""
    now = now or datetime.now(UTC)
    dataset, old_name = key.rsplit("/", 1)[0].rsplit("/", 1)[-1], key.rsplit("/", 1)[-1]
    manifest = json.loads(store.read_text(f"{key}/{MANIFEST}"))
    staging = f"{dataset_key(dataset)}/{STAGING}{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}"
    try:
        written, schema = _rewrite_files(store, key, staging, manifest, rows)
        before, after = sum(manifest["rows"].values()), sum(w["rows"] for w in written.values())
        if after == 0:
            store.delete_prefix(staging)
            return Rewritten(key, None, before, 0)
        final = _finish(store, dataset, staging, manifest, written, schema, reason, now)
    except BaseException:
        store.delete_prefix(staging)
        raise
    return Rewritten(key, final, before, after)


def _rewrite_files(
    store: Store, key: str, staging: str, manifest: dict, rows: Rows
) -> tuple[dict[str, dict], pa.Schema | None]:
    written: dict[str, dict] = {}
    schema = None
    for rel, entry in manifest["files"].items():
        if "rows" not in entry:
            store.put_file_from(store, f"{key}/{rel}", f"{staging}/{rel}") if False else _copy(
                store, f"{key}/{rel}", f"{staging}/{rel}"
            )
            written[rel] = {"rows": 0, "entry": entry, "num_bytes": 0, "copied": True}
            continue
        with store.open(f"{key}/{rel}") as handle:
            source = pq.ParquetFile(handle)
            schema = source.schema_arrow
            written[rel] = _rewrite_one(store, source, f"{staging}/{rel}", rows)
    return written, schema


def _rewrite_one(store: Store, source: pq.ParquetFile, target: str, rows: Rows) -> dict:
    count = num_bytes = 0
    with store.writing(target) as tmp:
        with pq.ParquetWriter(tmp, source.schema_arrow, **writer_options(source.schema_arrow)) as writer:
            for batch in source.iter_batches(batch_size=_BATCH_ROWS):
                kept = rows(pa.Table.from_batches([batch], schema=source.schema_arrow))
                if kept.num_rows:
                    writer.write_table(kept)
                    count, num_bytes = count + kept.num_rows, num_bytes + kept.nbytes
        entry = {"sha256": sha256_file(tmp), "bytes": tmp.stat().st_size, "rows": count}
    return {"rows": count, "entry": entry, "num_bytes": num_bytes}


def _copy(store: Store, source: str, target: str) -> None:
    store.write_bytes(target, store.read_bytes(source))
