"""A versioned export of files that are not one dataset: the library's analyses (JSON in the seed's shapes,
their tables as Parquet, contact sheets as PNG), published the same way as the datasets."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq

from curata.export.card import render_bundle_card
from curata.export.versioned import CARD, MANIFEST, ExportResult, Provenance, publish_version
from curata.provenance import code_version
from curata.storage import Store


def publish_bundle(
    store: Store,
    name: str,
    documents: Mapping[str, dict],
    tables: Mapping[str, pa.Table],
    pictures: Mapping[str, bytes],
    provenance: Provenance,
    *,
    summary: str,
    now: datetime | None = None,
) -> ExportResult:
    """`documents` as `<name>` JSON, `tables` as `tables/<name>.parquet`, `pictures` as `pictures/<name>`, with a
    card (`summary` says what the bundle is); reused when every file's bytes equal the latest version's."""
    files = {name: json.dumps(doc, indent=2, sort_keys=True, default=str).encode() for name, doc in documents.items()}
    files |= {f"tables/{table}.parquet": _parquet(data) for table, data in tables.items()}
    files |= {f"pictures/{picture}": data for picture, data in pictures.items()}
    hashes = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
    digest = hashlib.sha256(f"{code_version()}|{name}|{json.dumps(hashes, sort_keys=True)}".encode()).hexdigest()

    def write(staging: str, final: str, digest: str, at: datetime) -> dict:
        for rel, data in files.items():
            store.write_bytes(f"{staging}/{rel}", data)
        manifest = {
            "dataset": name,
            "version": final.rsplit("/", 1)[-1],
            "created_at": at.isoformat(),
            "code_version": code_version(),
            "content_digest": digest,
            "rows": {table: data.num_rows for table, data in tables.items()},
            "files": {rel: {"sha256": hashes[rel], "bytes": len(data)} for rel, data in files.items()},
            "source_partitions": {t: sorted(p) for t, p in sorted(provenance.source_partitions.items())},
            "quarantine_by_rule": dict(sorted(provenance.quarantine_by_rule.items())),
        }
        store.write_text(f"{staging}/{CARD}", render_bundle_card(summary, manifest))
        store.write_text(f"{staging}/{MANIFEST}", json.dumps(manifest, indent=2, sort_keys=True))
        return manifest

    return publish_version(store, name, digest, write, now=now)


def _parquet(table: pa.Table) -> bytes:
    """Deterministic bytes for equal tables, so an unchanged analysis is an unchanged file."""
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()
