"""Content-addressed embedding store: `embeddings/<fingerprint>/shard-*.parquet` in a store, each written atomically.

There is no index beside the data: what the store holds is the union of its shards' hash columns,
so a listing can never claim a vector that is not there. A process killed at any moment leaves
whole shards or none (a hidden temporary file at most, ignored and removed).
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterable
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curata.embeddings.tables import OK, shard_schema
from curata.export.parquet import writer_options
from curata.layout import EMBEDDINGS
from curata.storage import Store

MODEL_FILE = "model.json"
STALE_SECONDS = 3600.0  # a temporary this old belongs to no live writer


class FingerprintMismatch(RuntimeError):
    """Raised rather than combine vectors of two models."""


class EmbeddingStore:
    def __init__(self, store: Store):
        self.store = store

    def folder(self, fingerprint: str) -> str:
        if not fingerprint.isalnum():
            raise ValueError(f"bad fingerprint {fingerprint!r}")
        return f"{EMBEDDINGS}/{fingerprint}"

    def fingerprints(self) -> list[str]:
        return self.store.children(EMBEDDINGS)

    def shards(self, fingerprint: str) -> list[str]:
        folder = self.folder(fingerprint)
        return [
            f"{folder}/{n}" for n in self.store.children(folder) if n.startswith("shard-") and n.endswith(".parquet")
        ]

    def describe(self, fingerprint: str, description: dict) -> None:
        """Writes model.json once: what produced every vector under this fingerprint."""
        key = f"{self.folder(fingerprint)}/{MODEL_FILE}"
        if not self.store.exists(key):
            self.store.write_text(key, json.dumps(description, indent=2, sort_keys=True))

    def model_description(self, fingerprint: str) -> dict:
        key = f"{self.folder(fingerprint)}/{MODEL_FILE}"
        return json.loads(self.store.read_text(key)) if self.store.exists(key) else {}

    def read_shard(self, key: str, columns: list[str] | None = None) -> pa.Table:
        filesystem, base = self.store.arrow()
        return pq.read_table(f"{base}/{key}", columns=columns, filesystem=filesystem)

    def listing(self, fingerprint: str) -> dict[str, str]:
        """sha256 -> status, read from the shards themselves."""
        out: dict[str, str] = {}
        for shard in self.shards(fingerprint):
            table = self.read_shard(shard, ["sha256", "status"])
            out.update(zip(table.column("sha256").to_pylist(), table.column("status").to_pylist(), strict=True))
        return out

    def failures(self, fingerprint: str) -> dict[str, str]:
        """sha256 -> error of every image recorded as failed."""
        out: dict[str, str] = {}
        for shard in self.shards(fingerprint):
            table = self.read_shard(shard, ["sha256", "status", "error"])
            for sha, status, error in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True):
                if status != OK:
                    out[sha] = error or ""
        return out

    def write_shard(self, fingerprint: str, dim: int, rows: list[dict]) -> str:
        """Shard names come from their contents, so the same work always makes the same files."""
        return self.write_table(fingerprint, pa.Table.from_pylist(rows, schema=shard_schema(dim)))

    def write_table(self, fingerprint: str, table: pa.Table) -> str:
        """A shard of the rows of `table` (in the shard schema), sorted by hash, named by its hashes."""
        table = table.take(pc.sort_indices(table, sort_keys=[("sha256", "ascending")]))
        hashes = table.column("sha256").to_pylist()
        members = hashlib.sha256("".join(hashes).encode()).hexdigest()[:16]
        key = f"{self.folder(fingerprint)}/shard-{members}-{len(hashes):05d}.parquet"
        with self.store.writing(key) as tmp:
            pq.write_table(table, tmp, **writer_options(table.schema))  # vectors raw: they do not compress
        return key

    def read(self, fingerprint: str, columns: list[str] | None = None) -> pa.Table:
        shards = self.shards(fingerprint)
        if not shards:
            return pa.table({"sha256": pa.array([], pa.string())})
        return pa.concat_tables(self.read_shard(s, columns) for s in shards)

    def vectors(self, fingerprint: str, hashes: list[str], expected: str | None = None) -> dict[str, list[float]]:
        """Vectors of one fingerprint only; asking for another model's vectors raises."""
        if expected is not None and expected != fingerprint:
            raise FingerprintMismatch(f"vectors of {fingerprint} requested where {expected} is in use")
        wanted = set(hashes)
        table = self.read(fingerprint, ["sha256", "status", "vector"])
        return {
            h: v
            for h, s, v in zip(*(table.column(c).to_pylist() for c in ("sha256", "status", "vector")), strict=True)
            if s == OK and h in wanted
        }

    def remove_temporaries(self, fingerprint: str, older_than: float = STALE_SECONDS) -> int:
        """Deletes half-written files of killed runs: never published, so nothing of value.

        Only old ones: a temporary written a moment ago may belong to a writer still at work.
        """
        hidden = [k for k in self.store.keys(self.folder(fingerprint), hidden=True) if PurePosixPath(k).name[0] == "."]
        stale = [k for k in hidden if self.store.age(k) > older_than]
        for key in stale:
            self.store.delete(key)
        return len(stale)

    def remove(self, fingerprint: str, hashes: Iterable[str]) -> int:
        """Rewrites every shard holding one of `hashes` without it (an erasure request); returns vectors removed.

        Shards are sorted by hash, so their footers' min/max say which can hold one; the new shard is written
        before the old one is deleted, so a killed run never loses another image's vector.
        """
        doomed = sorted(set(hashes))
        removed = 0
        for shard in self.shards(fingerprint):
            if not doomed or not self._may_hold(shard, doomed):
                continue
            table = self.read_shard(shard)
            hit = pc.is_in(table.column("sha256"), pa.array(doomed, pa.string()))
            count = pc.sum(hit).as_py() or 0
            if not count:
                continue
            kept = table.filter(pc.invert(hit))
            if kept.num_rows:
                self.write_table(fingerprint, kept)
            self.store.delete(shard)
            removed += count
        return removed

    def _may_hold(self, shard: str, sorted_hashes: list[str]) -> bool:
        """Whether the shard's min/max hash statistics (it is sorted) leave room for one of the hashes."""
        filesystem, base = self.store.arrow()
        with filesystem.open_input_file(f"{base}/{shard}") as handle:
            metadata = pq.ParquetFile(handle).metadata
        column = metadata.schema.to_arrow_schema().get_field_index("sha256")
        for i in range(metadata.num_row_groups):
            stats = metadata.row_group(i).column(column).statistics
            if stats is None or not stats.has_min_max:
                return True
            at = bisect.bisect_left(sorted_hashes, stats.min)
            if at < len(sorted_hashes) and sorted_hashes[at] <= stats.max:
                return True
        return False

    def compact(self, fingerprint: str) -> int:
        """Leaves each hash in one shard only (the first by name), rewriting the others without it.

        Two writers on overlapping work both store a vector; neither is ever lost, since the first shard
        holding a hash keeps it, and concurrent compactions agree on which one that is.
        """
        first: dict[str, str] = {}
        extra: dict[str, set[str]] = {}
        for shard in self.shards(fingerprint):
            for sha in self.read_shard(shard, ["sha256"]).column("sha256").to_pylist():
                if sha in first and first[sha] != shard:
                    extra.setdefault(shard, set()).add(sha)
                first.setdefault(sha, shard)
        for shard, repeated in extra.items():
            table = self.read_shard(shard)
            kept = [r for r in table.to_pylist() if r["sha256"] not in repeated]
            if kept:
                self.write_shard(fingerprint, table.schema.field("vector").type.list_size, kept)
            self.store.delete(shard)
        return sum(len(r) for r in extra.values())
