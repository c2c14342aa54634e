"""Integrity of the embedding store, from `002_357c048819baf7d6.txt`: coverage, vectors, orphans."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

import numpy as np
import pyarrow as pa

from curata import rules
from curata.embeddings.store import EmbeddingStore
from curata.embeddings.tables import FAILED, IMAGE_EMBEDDINGS, MISSING, OK
from curata.embeddings.wanted import WantedImage

NORM_TOLERANCE = 1e-3


def embedding_catalog(store: EmbeddingStore, fingerprint: str, wanted: Iterable[WantedImage]) -> pa.Table:
    """Each referenced image with its status for this model: ok, failed (with why) or missing."""
    listing = store.listing(fingerprint)
    errors = store.failures(fingerprint)
    rows = []
    for w in wanted:
        status = listing.get(w.sha256, MISSING)
        failed = status == FAILED
        rows.append(
            {
                "sha256": w.sha256,
                "path": w.path,
                "fingerprint": fingerprint,
                "status": status,
                "rule_id": rules.EMBEDDING_FAILED.id if failed else None,
                "error": errors.get(w.sha256) if failed else None,
            }
        )
    return IMAGE_EMBEDDINGS.from_rows(rows)


def vector_problems(store: EmbeddingStore, fingerprint: str, dim: int) -> list[str]:
    """Wrong dimension, non-finite values, a norm that is not 1, or one hash with two different vectors."""
    problems: list[str] = []
    seen: dict[str, np.ndarray] = {}
    for shard in store.shards(fingerprint):
        table = store.read_shard(shard)
        name = PurePosixPath(shard).name
        if table.schema.field("vector").type.list_size != dim:
            problems.append(f"{name}: vectors of dimension {table.schema.field('vector').type.list_size}, not {dim}")
            continue
        for sha, status, vector, path in zip(
            *(table.column(c).to_pylist() for c in ("sha256", "status", "vector", "source_path")), strict=True
        ):
            if status != OK:
                continue
            v = np.asarray(vector, dtype=np.float32)
            if not np.isfinite(v).all():
                problems.append(f"{path}: non-finite vector in {name}")
            elif abs(float(np.linalg.norm(v)) - 1.0) > NORM_TOLERANCE:
                problems.append(f"{path}: norm {np.linalg.norm(v):.4f} in {name}")
            if sha in seen and not np.array_equal(seen[sha], v):
                problems.append(f"{path}: hash {sha[:12]} stored twice with different vectors")
            seen[sha] = v
    return problems


def orphan_embeddings(store: EmbeddingStore, fingerprint: str, wanted: Iterable[WantedImage]) -> list[str]:
    """Stored vectors that no accepted record references any more, by the path they were made from."""
    referenced = {w.sha256 for w in wanted}
    table = store.read(fingerprint, ["sha256", "source_path"])
    if table.num_rows == 0:
        return []
    return sorted(
        p
        for h, p in zip(table.column("sha256").to_pylist(), table.column("source_path").to_pylist(), strict=True)
        if h not in referenced
    )
