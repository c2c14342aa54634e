"""One split of a dataset as one Parquet file, streamed: memory holds one row group of images, not the split.

Image bytes and vectors are stored as they are; every other column is zstd-compressed. Row groups
close at ROW_GROUP_BYTES, so a reader also streams them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from curata.hashing import sha256_file
from curata.progress import Progress
from curata.storage import Store

CHUNK_ROWS = 32  # plan rows materialized at a time
ROW_GROUP_BYTES = 16 << 20

Materialize = Callable[[pa.Table], pa.Table]
"""Plan rows (ids, paths, hashes, provenance) -> the dataset's rows, images and vectors filled in."""


class RowSource:
    """Rows of a table by index without joining its chunks, which a take on a chunked table does on every call."""

    def __init__(self, table: pa.Table):
        self.schema = table.schema
        self.batches = table.to_batches()  # zero-copy
        self.starts = np.cumsum([0] + [b.num_rows for b in self.batches])

    def take(self, indices: np.ndarray) -> pa.Table:
        """The rows at `indices`, in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        which = np.searchsorted(self.starts, indices, side="right") - 1
        parts, positions = [], []
        for b in np.unique(which).tolist():
            picked = np.flatnonzero(which == b)
            parts.append(self.batches[b].take(pa.array(indices[picked] - self.starts[b])))
            positions.append(picked)
        table = pa.Table.from_batches(parts, schema=self.schema)
        if len(parts) <= 1:
            return table
        return table.take(pa.array(np.argsort(np.concatenate(positions))))


@dataclass(frozen=True)
class WrittenFile:
    key: str
    sha256: str
    bytes: int
    rows: int
    num_bytes: int  # the rows' in-memory Arrow size: what `datasets` reports as a split's num_bytes

    def manifest_entry(self) -> dict[str, object]:
        return {"sha256": self.sha256, "bytes": self.bytes, "rows": self.rows}


def write_parquet(
    store: Store, key: str, schema: pa.Schema, plan: RowSource, indices: np.ndarray, materialize: Materialize
) -> WrittenFile:
    """The plan rows at `indices`, in that order, materialized CHUNK_ROWS at a time."""
    num_bytes = pending_bytes = 0
    progress = Progress(f"writing {key}", len(indices), "rows")
    with store.writing(key) as tmp:
        with pq.ParquetWriter(tmp, schema, **writer_options(schema)) as writer:
            pending: list[pa.Table] = []
            for start in range(0, len(indices), CHUNK_ROWS):
                rows = materialize(plan.take(indices[start : start + CHUNK_ROWS]))
                progress.advance(rows.num_rows)
                pending.append(rows)
                pending_bytes += rows.nbytes
                if pending_bytes >= ROW_GROUP_BYTES:
                    writer.write_table(pa.concat_tables(pending))
                    num_bytes, pending, pending_bytes = num_bytes + pending_bytes, [], 0
            if pending:
                writer.write_table(pa.concat_tables(pending))
        progress.finish()
        return WrittenFile(key, sha256_file(tmp), tmp.stat().st_size, len(indices), num_bytes + pending_bytes)


def writer_options(schema: pa.Schema) -> dict[str, object]:
    """Raw image bytes and vectors stored as they are (already dense: no compression, dictionary or
    statistics, which only cost time); every other column zstd-compressed, with dictionaries."""
    buf = io.BytesIO()
    pq.write_table(schema.empty_table(), buf)
    leaves = pq.ParquetFile(io.BytesIO(buf.getvalue())).schema
    raw, rest = [], []
    for i in range(len(leaves)):
        leaf = leaves.column(i)
        bytes_ = leaf.physical_type == "BYTE_ARRAY" and leaf.logical_type.type == "NONE"
        vector = leaf.physical_type in ("FLOAT", "DOUBLE") and leaf.max_repetition_level > 0
        (raw if bytes_ or vector else rest).append(leaf.path)
    return {
        "compression": {**{p: "none" for p in raw}, **{p: "zstd" for p in rest}},
        "use_dictionary": rest,
        "write_statistics": rest,
    }
