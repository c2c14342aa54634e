"""Re-verifies a published export: files against the manifest, and splits against leaks."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from curata.export.neardup import VectorLookup
from curata.export.splits import Grouping, LeakReport, split_leaks
from curata.export.versioned import MANIFEST
from curata.storage import Store


def export_problems(store: Store, key: str) -> list[str]:
    """Every way the version folder `key` differs from its manifest (files, sha256, bytes, rows); empty if intact."""
    manifest = json.loads(store.read_text(f"{key}/{MANIFEST}"))
    problems: list[str] = []
    for rel, expected in manifest["files"].items():
        path = f"{key}/{rel}"
        if not store.is_file(path):
            problems.append(f"{rel}: missing")
            continue
        digest = store.sha256(path)
        if digest != expected["sha256"]:
            problems.append(f"{rel}: sha256 {digest[:12]} != manifest {expected['sha256'][:12]}")
        if "rows" not in expected:  # a document or a picture of a bundle: its hash is the whole check
            continue
        try:
            with store.open(path) as handle:
                rows = pq.ParquetFile(handle).metadata.num_rows
        except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) for corrupt files
            problems.append(f"{rel}: unreadable Parquet ({exc})")
            continue
        if rows != expected["rows"]:
            problems.append(f"{rel}: {rows} rows != manifest {expected['rows']}")
    return problems


def export_leaks(store: Store, key: str, vectors_for: VectorLookup, threshold: float | None = None) -> LeakReport:
    """Whether any group or near-duplicate pair of the published version crosses splits.

    The group columns and (unless given) the threshold are those the manifest says the split used.
    """
    manifest = json.loads(store.read_text(f"{key}/{MANIFEST}"))
    split = manifest["split"]
    grouping = Grouping(tuple(split["key_columns"]), tuple(split["image_columns"]))
    parts = []
    for rel in manifest["files"]:
        with store.open(f"{key}/{rel}") as handle:
            table = pq.read_table(handle, columns=grouping.columns)
        name = rel.rsplit("/", 1)[-1].split("-")[0]
        parts.append(table.append_column("split", pa.array([name] * table.num_rows, pa.string())))
    if not parts:
        return LeakReport([], [])
    return split_leaks(pa.concat_tables(parts), grouping, vectors_for, threshold or split["near_duplicate_cosine"])
