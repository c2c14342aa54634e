"""Content-addressed embedding store: `<root>/<fingerprint>/shard-*.parquet`, each written atomically.

There is no index beside the data: what the store holds is the union of its shards' hash columns,
so a listing can never claim a vector that is not on disk. A process killed at any moment leaves
whole shards or none (a temporary file at most, ignored and removed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curata.atomic import write_text_atomic, write_with

OK = "ok"
FAILED = "failed"  # the image could not be decoded: recorded so it is not retried forever


def shard_schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            ("sha256", pa.string()),
            ("status", pa.string()),
            ("vector", pa.list_(pa.float32(), dim)),
            ("source_path", pa.string()),
            ("error", pa.string()),
        ]
    )


class FingerprintMismatch(RuntimeError):
    """Raised rather than combine vectors of two models."""


class EmbeddingStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def folder(self, fingerprint: str) -> Path:
        if not fingerprint.isalnum():
            raise ValueError(f"bad fingerprint {fingerprint!r}")
        return self.root / fingerprint

    def fingerprints(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []

    def shards(self, fingerprint: str) -> list[Path]:
        folder = self.folder(fingerprint)
        return sorted(folder.glob("shard-*.parquet")) if folder.is_dir() else []

    def describe(self, fingerprint: str, description: dict) -> None:
        """Writes model.json once: what produced every vector under this fingerprint."""
        target = self.folder(fingerprint) / "model.json"
        if not target.exists():
            write_text_atomic(target, json.dumps(description, indent=2, sort_keys=True))

    def model_description(self, fingerprint: str) -> dict:
        path = self.folder(fingerprint) / "model.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def listing(self, fingerprint: str) -> dict[str, str]:
        """sha256 -> status, read from the shards themselves."""
        out: dict[str, str] = {}
        for shard in self.shards(fingerprint):
            table = pq.read_table(shard, columns=["sha256", "status"])
            out.update(zip(table.column("sha256").to_pylist(), table.column("status").to_pylist(), strict=True))
        return out

    def write_shard(self, fingerprint: str, dim: int, rows: list[dict]) -> Path:
        """Shard names come from their contents, so the same work always makes the same files."""
        rows = sorted(rows, key=lambda r: r["sha256"])
        target = self.folder(fingerprint) / f"shard-{rows[0]['sha256'][:16]}-{len(rows):05d}.parquet"
        table = pa.Table.from_pylist(rows, schema=shard_schema(dim))
        write_with(target, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        return target

    def read(self, fingerprint: str, columns: list[str] | None = None) -> pa.Table:
        shards = self.shards(fingerprint)
        if not shards:
            return pa.table({"sha256": pa.array([], pa.string())})
        return pa.concat_tables(pq.read_table(s, columns=columns) for s in shards)

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

    def remove_temporaries(self, fingerprint: str) -> int:
        """Deletes half-written files of a killed run: never published, so nothing of value."""
        folder = self.folder(fingerprint)
        stale = list(folder.glob(".shard-*.tmp")) if folder.is_dir() else []
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)
