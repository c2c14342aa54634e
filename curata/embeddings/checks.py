"""Integrity of the embedding store, from `002_357c048819baf7d6.txt`: coverage, vectors, orphans."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow.parquet as pq

from curata.embeddings.store import OK, EmbeddingStore
from curata.embeddings.wanted import WantedImage

NORM_TOLERANCE = 1e-3


def missing_embeddings(store: EmbeddingStore, fingerprint: str, wanted: Iterable[WantedImage]) -> list[str]:
    """Paths of referenced images with no usable vector of this fingerprint (absent or failed)."""
    listing = store.listing(fingerprint)
    return sorted({w.path for w in wanted if listing.get(w.sha256) != OK})


def vector_problems(store: EmbeddingStore, fingerprint: str, dim: int) -> list[str]:
    """Wrong dimension, non-finite values, a norm that is not 1, or one hash with two different vectors."""
    problems: list[str] = []
    seen: dict[str, np.ndarray] = {}
    for shard in store.shards(fingerprint):
        table = pq.read_table(shard)
        if table.schema.field("vector").type.list_size != dim:
            problems.append(
                f"{shard.name}: vectors of dimension {table.schema.field('vector').type.list_size}, not {dim}"
            )
            continue
        for sha, status, vector, path in zip(
            *(table.column(c).to_pylist() for c in ("sha256", "status", "vector", "source_path")), strict=True
        ):
            if status != OK:
                continue
            v = np.asarray(vector, dtype=np.float32)
            if not np.isfinite(v).all():
                problems.append(f"{path}: non-finite vector in {shard.name}")
            elif abs(float(np.linalg.norm(v)) - 1.0) > NORM_TOLERANCE:
                problems.append(f"{path}: norm {np.linalg.norm(v):.4f} in {shard.name}")
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
