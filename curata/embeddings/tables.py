"""The embedding tables: the shards of the vector store, and the catalog the asset hands downstream."""

from __future__ import annotations

import pyarrow as pa

from curata.tables import IMAGE_HASH, TableSpec, col

OK = "ok"
FAILED = "failed"  # the image could not be embedded: recorded so it is not retried until its bytes change
MISSING = "missing"  # referenced, but no vector and no recorded failure yet

IMAGE_EMBEDDINGS = TableSpec(
    "image_embeddings",
    "Every image an accepted record references, and whether the configured model has a vector for it.",
    (
        col("sha256", pa.string(), "content hash of the image (the store's key)", IMAGE_HASH),
        # No role: erasure keeps the rows (and vectors) of images another person's session also holds.
        col("path", pa.string(), "a path it was referenced by"),
        col("fingerprint", pa.string(), "the model whose vectors these are (`embeddings/<fingerprint>/model.json`)"),
        col("status", pa.string(), "`ok`, `failed` (recorded, retried only when the bytes change) or `missing`"),
        col("rule_id", pa.string(), "why it failed, as a rule id; null when ok"),
        col("error", pa.string(), "the error, for a person"),
    ),
)


def shard_schema(dim: int) -> pa.Schema:
    """One shard of `embeddings/<fingerprint>/`: vectors keyed by content hash."""
    return pa.schema(
        [
            col("sha256", pa.string(), "content hash of the image (the key)"),
            col("status", pa.string(), "`ok`, or `failed`: recorded so it is not retried until the bytes change"),
            col("vector", pa.list_(pa.float32(), dim), "L2-normalised image embedding; null when failed"),
            col("source_path", pa.string(), "the path the image was read from, for reports"),
            col("error", pa.string(), "why it failed"),
        ]
    )
