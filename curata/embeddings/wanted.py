"""Every image the accepted records reference: what the embedding store must cover."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class WantedImage:
    sha256: str
    path: str  # relative to the data root


# table -> (path column, hash column) pairs; list columns hold several images per row.
SOURCES: dict[str, list[tuple[str, str]]] = {
    "validated_sessions": [("original_path", "original_sha256"), ("edited_path", "edited_sha256")],
    "validated_selections": [("chosen_path", "chosen_sha256"), ("rejected_paths", "rejected_sha256")],
    "validated_crops": [("chosen_path", "chosen_sha256")],
    "historical_pairs": [("chosen_path", "chosen_sha256"), ("rejected_path", "rejected_sha256")],
}


def wanted_images(tables: Mapping[str, pa.Table]) -> list[WantedImage]:
    """One entry per (hash, path) referenced by any accepted row of the given tables (a table left out has none)."""
    out: set[WantedImage] = set()
    for table, columns in SOURCES.items():
        data = tables.get(table)
        if data is None:
            continue
        for path_column, hash_column in columns:
            paths, hashes = data.column(path_column).to_pylist(), data.column(hash_column).to_pylist()
            for path, sha in zip(paths, hashes, strict=True):
                if isinstance(path, list):
                    out.update(WantedImage(s, p) for p, s in zip(path, sha, strict=True))
                elif path is not None:
                    out.add(WantedImage(sha, path))
    return sorted(out, key=lambda w: (w.sha256, w.path))
