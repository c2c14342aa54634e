"""The one place exports leave out rows whose images are flagged in the quality tables, and say so.

Images are matched by content hash; a row goes when any of its images carries an excluding flag.
The manifest counts the rows left out per flag (a row with two flags counts under both); the card says it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from curata.quality import FLAGS


@dataclass(frozen=True)
class QualityGate:
    """sha256 -> the excluding flags of each flagged image; empty lets every row through."""

    flagged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    excluding: tuple[str, ...] = ()

    @classmethod
    def of(cls, quality_tables: Iterable[pa.Table], excluding: Collection[str]) -> QualityGate:
        unknown = sorted(set(excluding) - set(FLAGS))
        if unknown:
            raise ValueError(f"unknown quality flags {unknown}; the flags are {list(FLAGS)}")
        wanted = tuple(f for f in FLAGS if f in excluding)
        found: dict[str, set[str]] = {}
        for table in quality_tables:
            for sha, flags in zip(table["sha256"].to_pylist(), table["quality_flags"].to_pylist(), strict=True):
                if hits := set(wanted).intersection(flags):
                    found.setdefault(sha, set()).update(hits)
        return cls({sha: tuple(f for f in wanted if f in hits) for sha, hits in found.items()}, wanted)

    def apply(self, rows: pa.Table, hash_columns: Sequence[str]) -> Gated:
        """The rows none of whose images (in `hash_columns`) is flagged, and what was left out."""
        keep = np.ones(rows.num_rows, dtype=bool)
        per_flag: Counter[str] = Counter()
        if self.flagged:
            hashes = zip(*(rows[c].to_pylist() for c in hash_columns), strict=True)
            for i, shas in enumerate(hashes):
                flags = {f for sha in shas for f in self.flagged.get(sha, ())}
                keep[i] = not flags
                per_flag.update(flags)
        return Gated(rows.filter(pa.array(keep)), int((~keep).sum()), self.excluding, dict(sorted(per_flag.items())))


@dataclass(frozen=True)
class Gated:
    kept: pa.Table
    excluded: int  # rows left out
    excluding: tuple[str, ...]  # the flags that exclude; empty when the gate is off
    by_flag: dict[str, int]  # rows left out per flag

    @property
    def manifest(self) -> dict[str, object]:
        """What `Plan.extra` records."""
        return {"quality_excluded": {"rows": self.excluded, "by_flag": self.by_flag, "excluding": list(self.excluding)}}

    @property
    def note(self) -> str:
        """The card's line."""
        if not self.excluding:
            return "No image quality flag excludes rows from this export: exclusion is off."
        if not self.excluded:
            return f"No row was left out for image quality (flags that exclude: {', '.join(self.excluding)})."
        why = ", ".join(f"{n} {flag}" for flag, n in self.by_flag.items())
        return (
            f"{self.excluded} rows were left out because an image is flagged in the quality tables ({why}); "
            "they stay in the warehouse, and the `exports` resource decides which flags exclude."
        )
