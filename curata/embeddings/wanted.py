"""Every image the accepted records reference: what the embedding store must cover."""

from __future__ import annotations

from dataclasses import dataclass

from curata.warehouse import Warehouse


@dataclass(frozen=True)
class WantedImage:
    sha256: str
    path: str  # relative to the data root


# (table, path column, hash column); list columns hold several images per row.
SOURCES = [
    ("validated_sessions", "original_path", "original_sha256"),
    ("validated_sessions", "edited_path", "edited_sha256"),
    ("validated_selections", "chosen_path", "chosen_sha256"),
    ("validated_selections", "rejected_paths", "rejected_sha256"),
    ("validated_crops", "chosen_path", "chosen_sha256"),
    ("historical_pairs", "chosen_path", "chosen_sha256"),
    ("historical_pairs", "rejected_path", "rejected_sha256"),
]


def wanted_images(warehouse: Warehouse) -> list[WantedImage]:
    """One entry per (hash, path) referenced by any accepted row, over every stored partition."""
    out: set[WantedImage] = set()
    for table, path_column, hash_column in SOURCES:
        partitions = warehouse.partitions(table)
        if not partitions:
            continue
        data = warehouse.read_partitions(table, partitions, columns=[path_column, hash_column])
        for path, sha in zip(data.column(path_column).to_pylist(), data.column(hash_column).to_pylist(), strict=True):
            if isinstance(path, list):
                out.update(WantedImage(s, p) for p, s in zip(path, sha, strict=True))
            elif path is not None:
                out.add(WantedImage(sha, path))
    return sorted(out, key=lambda w: (w.sha256, w.path))
