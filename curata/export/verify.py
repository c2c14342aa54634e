"""Re-verifies a published export against its manifest: files, hashes, rows and split grouping."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from curata.hashing import sha256_file


def export_problems(folder: Path, group_column: str = "original_sha256") -> list[str]:
    """Every way the export on disk differs from its manifest; empty when it is intact."""
    manifest = json.loads((folder / "manifest.json").read_text())
    problems: list[str] = []
    groups_by_split: dict[str, set[str]] = {}
    for rel, expected in manifest["files"].items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        digest = sha256_file(path)
        if digest != expected["sha256"]:
            problems.append(f"{rel}: sha256 {digest[:12]} != manifest {expected['sha256'][:12]}")
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
            groups = pq.read_table(path, columns=[group_column]).column(group_column).to_pylist()
        except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) for corrupt files
            problems.append(f"{rel}: unreadable Parquet ({exc})")
            continue
        if rows != expected["rows"]:
            problems.append(f"{rel}: {rows} rows != manifest {expected['rows']}")
        groups_by_split[Path(rel).name.split("-")[0]] = set(groups)
    splits = sorted(groups_by_split)
    for i, a in enumerate(splits):
        for b in splits[i + 1 :]:
            leaked = groups_by_split[a] & groups_by_split[b]
            if leaked:
                problems.append(f"{len(leaked)} {group_column} groups in both {a} and {b}")
    return problems


def duplicate_content(rows: list[dict]) -> dict[str, list[str]]:
    """Content keys held by more than one accepted session, with the sessions holding them."""
    holders: dict[str, list[str]] = {}
    for row in rows:
        holders.setdefault(row["content_key"], []).append(row["session_id"])
    return {k: sorted(v) for k, v in holders.items() if len(v) > 1}
