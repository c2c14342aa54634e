"""Chosen-versus-rejected pairs with the CLIP vectors of both images: a reward model's training set.

Vectors come from one model fingerprint only; a pair whose images lack vectors of that model is
named, never filled from another model.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from curata.embeddings.store import EmbeddingStore
from curata.warehouse import Warehouse


def preference_schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            ("source", pa.string()),  # selection | historical
            ("record_id", pa.string()),
            ("chosen_path", pa.string()),
            ("rejected_path", pa.string()),
            ("chosen_sha256", pa.string()),
            ("rejected_sha256", pa.string()),
            ("anomaly", pa.bool_()),  # a lower stage won (historical pairs only)
            ("embedding_fingerprint", pa.string()),
            ("chosen_vector", pa.list_(pa.float32(), dim)),
            ("rejected_vector", pa.list_(pa.float32(), dim)),
        ]
    )


@dataclass(frozen=True)
class PreferencePairs:
    table: pa.Table
    without_vectors: list[str]  # "chosen -> rejected" of pairs left out for want of vectors


def pair_rows(warehouse: Warehouse) -> list[dict]:
    rows: list[dict] = []
    for s in warehouse.rows("validated_selections"):
        for path, sha in zip(s["rejected_paths"], s["rejected_sha256"], strict=True):
            rows.append(
                {
                    "source": "selection",
                    "record_id": s["record_id"],
                    "chosen_path": s["chosen_path"],
                    "rejected_path": path,
                    "chosen_sha256": s["chosen_sha256"],
                    "rejected_sha256": sha,
                    "anomaly": None,
                }
            )
    for p in warehouse.rows("historical_pairs"):
        rows.append(
            {
                "source": "historical",
                "record_id": f"{p['project']}/{p['group_key']}",
                "chosen_path": p["chosen_path"],
                "rejected_path": p["rejected_path"],
                "chosen_sha256": p["chosen_sha256"],
                "rejected_sha256": p["rejected_sha256"],
                "anomaly": p["anomaly"],
            }
        )
    return rows


def build_preference_pairs(warehouse: Warehouse, store: EmbeddingStore, fingerprint: str, dim: int) -> PreferencePairs:
    rows = pair_rows(warehouse)
    hashes = {r["chosen_sha256"] for r in rows} | {r["rejected_sha256"] for r in rows}
    vectors = store.vectors(fingerprint, sorted(hashes))
    kept, missing = [], []
    for r in rows:
        if r["chosen_sha256"] in vectors and r["rejected_sha256"] in vectors:
            kept.append(
                {
                    **r,
                    "embedding_fingerprint": fingerprint,
                    "chosen_vector": vectors[r["chosen_sha256"]],
                    "rejected_vector": vectors[r["rejected_sha256"]],
                }
            )
        else:
            missing.append(f"{r['chosen_path']} -> {r['rejected_path']}")
    return PreferencePairs(pa.Table.from_pylist(kept, schema=preference_schema(dim)), missing)
