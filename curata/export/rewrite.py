"""Rewriting a published version without some rows, or with some values replaced: erasure and key rotation.

A published folder is never changed in place. The rewritten copy is staged, then published under the old
version's time with a new digest (`v<same time>-<new digest>`), so it keeps its place among the versions;
the caller then removes the old folder. Files that are not row tables (documents, pictures) are copied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from curata.export.card import render_card
from curata.export.parquet import writer_options
from curata.export.published import PUBLISHED, spec_for
from curata.export.versioned import CARD, MANIFEST, dataset_key, split_file, staging_key
from curata.hashing import sha256_file
from curata.storage import Store

Rows = Callable[[pa.Table], pa.Table]  # one batch of a split -> what the rewritten split holds of it
_BATCH_ROWS = 256


@dataclass(frozen=True)
class Rewritten:
    old_key: str
    new_key: str | None  # None when no row is left: the caller withdraws the version without replacement
    rows_before: int
    rows_after: int


def row_files(store: Store, key: str) -> list[str]:
    """The row tables of a published version (paths relative to it), from its manifest."""
    manifest = json.loads(store.read_text(f"{key}/{MANIFEST}"))
    return [rel for rel, entry in manifest["files"].items() if "rows" in entry]


def rewrite_version(store: Store, key: str, rows: Rows, reason: str, now: datetime | None = None) -> Rewritten:
    """Publishes `key` rewritten by `rows`; if a killed run published it already, that copy is kept."""
    now = now or datetime.now(UTC)
    dataset = key.rsplit("/", 2)[-2]
    manifest = json.loads(store.read_text(f"{key}/{MANIFEST}"))
    staging = staging_key(dataset, now)  # removed if stale, like any
    try:
        written = {rel: _rewrite_file(store, key, staging, rel, e, rows) for rel, e in manifest["files"].items()}
        before = sum(manifest["rows"].values())
        after = sum(w["entry"].get("rows", 0) for w in written.values())
        if after == 0:
            store.delete_prefix(staging)
            return Rewritten(key, None, before, 0)
        final = _publish(store, key, staging, manifest, written, reason, now)
    except BaseException:
        store.delete_prefix(staging)
        raise
    return Rewritten(key, final, before, after)


def _rewrite_file(store: Store, key: str, staging: str, rel: str, entry: dict, rows: Rows) -> dict:
    """The file's new manifest entry, its in-memory size and schema; a file that is not a row table is copied."""
    if "rows" not in entry:
        store.write_bytes(f"{staging}/{rel}", store.read_bytes(f"{key}/{rel}"))
        return {"entry": entry, "num_bytes": 0, "schema": None}
    count = num_bytes = 0
    with store.open(f"{key}/{rel}") as handle, store.writing(f"{staging}/{rel}") as tmp:
        source = pq.ParquetFile(handle)
        schema = source.schema_arrow
        with pq.ParquetWriter(tmp, schema, **writer_options(schema)) as writer:
            for batch in source.iter_batches(batch_size=_BATCH_ROWS):
                kept = rows(pa.Table.from_batches([batch], schema=schema))
                if kept.num_rows:
                    writer.write_table(kept)
                    count, num_bytes = count + kept.num_rows, num_bytes + kept.nbytes
        new_entry = {"sha256": sha256_file(tmp), "bytes": tmp.stat().st_size, "rows": count}
    return {"entry": new_entry, "num_bytes": num_bytes, "schema": schema}


def _publish(
    store: Store, key: str, staging: str, manifest: dict, written: dict[str, dict], reason: str, now: datetime
) -> str:
    dataset, old = key.rsplit("/", 2)[-2], manifest["version"]
    files, split_bytes, rows = {}, {}, dict.fromkeys(manifest["rows"], 0)
    split_of = {split_file(split): split for split in manifest["rows"]}
    for rel, w in written.items():
        if "rows" in w["entry"] and not w["entry"]["rows"]:
            store.delete(f"{staging}/{rel}")  # an empty split gets no file: `datasets` refuses one without rows
            continue
        files[rel] = w["entry"]
        if "rows" in w["entry"]:
            split = split_of[rel]
            split_bytes[split], rows[split] = w["num_bytes"], w["entry"]["rows"]
    digests = sorted(f["sha256"] for f in files.values())
    digest = hashlib.sha256(json.dumps([manifest["content_digest"], reason, digests]).encode()).hexdigest()
    name = f"v{old[1:].split('-')[0]}-{digest[:12]}"
    new = manifest | {
        "version": name,
        "content_digest": digest,
        "rows": rows,
        "split_num_bytes": split_bytes,
        "files": files,
        "rewritten_from": old,
        "rewritten_at": now.isoformat(),
        "rewrite_reason": reason,
    }
    schema = next((w["schema"] for w in written.values() if w["schema"] is not None), None)
    if dataset in PUBLISHED and schema is not None:  # any other dataset keeps its card
        card = render_card(spec_for(dataset, schema), new, (f"Rewritten from `{old}`: {reason}.",))
        store.write_text(f"{staging}/{CARD}", card)
    elif store.exists(f"{key}/{CARD}"):
        store.write_bytes(f"{staging}/{CARD}", store.read_bytes(f"{key}/{CARD}"))
    store.write_text(f"{staging}/{MANIFEST}", json.dumps(new, indent=2, sort_keys=True))
    final = f"{dataset_key(dataset)}/{name}"
    try:
        store.publish_folder(staging, final, last=MANIFEST)
    except OSError:
        if not _rewritten_from(store, final, old):
            raise
        store.delete_prefix(staging)  # a killed run published the same rewrite: keep that one
    return final


def _rewritten_from(store: Store, key: str, old: str) -> bool:
    if not store.is_file(f"{key}/{MANIFEST}"):
        return False
    return json.loads(store.read_text(f"{key}/{MANIFEST}")).get("rewritten_from") == old
