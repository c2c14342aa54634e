"""Import of the old cache (`processed_images.jsonl` + `embeddings/<hash>.npy`) under a declared model.

Entries whose file is missing, unreadable or the wrong shape are reported by path and left out, so
the next embedding run computes them: never silently counted, as the old cache did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from curata.embeddings.store import EmbeddingStore
from curata.embeddings.tables import OK
from curata.lines import iter_lines


@dataclass
class LegacyImport:
    imported: int = 0
    problems: list[str] = field(default_factory=list)  # "<image path>: <why>", each to be recomputed


def import_legacy_cache(
    cache_dir: Path, store: EmbeddingStore, fingerprint: str, dim: int, description: dict, shard_rows: int = 4096
) -> LegacyImport:
    """`fingerprint` and `description` name the model that made the old vectors: the caller must know it."""
    result = LegacyImport()
    rows: list[dict] = []
    have = store.listing(fingerprint)
    store.describe(fingerprint, {**description, "imported_from": str(cache_dir)})
    for line in iter_lines(cache_dir / "processed_images.jsonl"):
        try:
            entry = json.loads(line.head)
            sha, path = str(entry["hash"]), str(entry["image_path"])
        except (ValueError, KeyError, TypeError):
            result.problems.append(f"processed_images.jsonl:{line.line_no}: not an entry with hash and image_path")
            continue
        if sha in have:
            continue
        npy = cache_dir / "embeddings" / f"{sha}.npy"
        try:
            vector = np.load(npy, allow_pickle=False).astype(np.float32).reshape(-1)
        except (OSError, ValueError) as exc:
            reason = "listed in the cache but missing on disk" if not npy.exists() else f"unreadable: {exc}"
            result.problems.append(f"{path}: {reason}")
            continue
        if vector.shape != (dim,) or not np.isfinite(vector).all() or not np.linalg.norm(vector) > 0:
            result.problems.append(f"{path}: vector of shape {vector.shape} is not a finite {dim}-vector")
            continue
        rows.append(
            {
                "sha256": sha,
                "status": OK,
                "vector": (vector / np.linalg.norm(vector)).tolist(),
                "source_path": path,
                "error": None,
            }
        )
        have[sha] = OK
        if len(rows) >= shard_rows:
            store.write_shard(fingerprint, dim, rows)
            result.imported += len(rows)
            rows = []
    if rows:
        store.write_shard(fingerprint, dim, rows)
        result.imported += len(rows)
    return result
