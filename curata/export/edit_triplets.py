"""The InstructPix2Pix-style export: (input_image, edit_prompt, edited_image) plus provenance.

Loads with `datasets.load_dataset(<folder>)` or `load_dataset("parquet", data_files=...)`, and
diffusers' `train_instruct_pix2pix.py --dataset_name <folder>` reads it with its default columns.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curata.atomic import publish_folder
from curata.export.hf_parquet import IMAGE_TYPE, image_cell, with_hf_features
from curata.hashing import sha256_file
from curata.provenance import code_version

DATASET_NAME = "edit_triplets"
SPLITS = ("train", "validation")
ROWS_PER_GROUP = 64

EXPORT_SCHEMA = with_hf_features(
    pa.schema(
        [
            ("input_image", IMAGE_TYPE),
            ("edit_prompt", pa.string()),
            ("edited_image", IMAGE_TYPE),
            ("session_id", pa.string()),
            ("timestamp", pa.timestamp("ms", tz="UTC")),
            ("partition_date", pa.string()),
            ("original_sha256", pa.string()),
            ("edited_sha256", pa.string()),
            ("user_pseudonym", pa.string()),
        ]
    )
)


class SourceChanged(RuntimeError):
    """An image changed on disk after validation; exporting it would break the recorded provenance."""


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    version: str
    rows: dict[str, int]
    reused: bool


def split_of(group_key: str, validation_fraction: float) -> str:
    """Deterministic split by group: every session of one original photo lands in the same split."""
    bucket = int(hashlib.sha256(group_key.encode("utf-8")).hexdigest()[:8], 16) % 10_000
    return "validation" if bucket < validation_fraction * 10_000 else "train"


def export_edit_triplets(
    sessions: pa.Table,
    *,
    data_root: Path,
    exports_dir: Path,
    source_partitions: list[str],
    validation_fraction: float = 0.1,
) -> ExportResult:
    """Writes a new versioned export, or reuses the latest one if its content is identical."""
    rows = sorted(sessions.to_pylist(), key=lambda r: (r["timestamp"], r["session_id"]))
    digest = _content_digest(rows, validation_fraction)
    base = exports_dir / DATASET_NAME
    base.mkdir(parents=True, exist_ok=True)
    existing = _find_version(base, digest)
    if existing is not None:
        manifest = json.loads((existing / "manifest.json").read_text())
        return ExportResult(existing, existing.name, manifest["rows"], reused=True)

    for stale in base.glob(".staging-*"):
        shutil.rmtree(stale)  # partial output of a killed run: never published, nothing to keep
    version = f"v{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest[:8]}"
    staging = base / f".staging-{uuid.uuid4().hex}"
    (staging / "data").mkdir(parents=True)
    by_split = {s: [r for r in rows if split_of(r["original_sha256"], validation_fraction) == s] for s in SPLITS}
    files = {}
    for split, split_rows in by_split.items():
        rel = f"data/{split}-00000-of-00001.parquet"
        _write_split(staging / rel, split_rows, data_root)
        files[rel] = {
            "sha256": sha256_file(staging / rel),
            "bytes": (staging / rel).stat().st_size,
            "rows": len(split_rows),
        }
    manifest = {
        "dataset": DATASET_NAME,
        "version": version,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": code_version(),
        "content_digest": digest,
        "rows": {s: len(r) for s, r in by_split.items()},
        "files": files,
        "source_partitions": sorted(source_partitions),
        "split": {"group_by": "original_sha256", "validation_fraction": validation_fraction},
        "columns": EXPORT_SCHEMA.names,
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    (staging / "README.md").write_text(_dataset_card(manifest))
    publish_folder(staging, base / version)
    return ExportResult(base / version, version, manifest["rows"], reused=False)


def _write_split(target: Path, rows: list[dict], data_root: Path) -> None:
    """Streams row groups so memory holds one group of images, not the dataset."""
    with pq.ParquetWriter(target, EXPORT_SCHEMA, compression="none") as writer:
        for start in range(0, len(rows), ROWS_PER_GROUP):
            batch = [_export_row(r, data_root) for r in rows[start : start + ROWS_PER_GROUP]]
            writer.write_table(pa.Table.from_pylist(batch, schema=EXPORT_SCHEMA))


def _export_row(row: dict, data_root: Path) -> dict:
    original = _read_verified(data_root / row["original_path"], row["original_sha256"])
    edited = _read_verified(data_root / row["edited_path"], row["edited_sha256"])
    return {
        "input_image": image_cell(original, Path(row["original_path"]).name),
        "edit_prompt": row["instruction"],
        "edited_image": image_cell(edited, Path(row["edited_path"]).name),
        "session_id": row["session_id"],
        "timestamp": row["timestamp"],
        "partition_date": row["partition_date"],
        "original_sha256": row["original_sha256"],
        "edited_sha256": row["edited_sha256"],
        "user_pseudonym": row["user_pseudonym"],
    }


def _read_verified(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SourceChanged(f"{path} changed since validation; re-materialize its validated_sessions partition")
    return data


def _content_digest(rows: list[dict], validation_fraction: float) -> str:
    h = hashlib.sha256(f"{code_version()}|{validation_fraction}".encode())
    for r in rows:
        h.update(f"|{r['session_id']}:{r['content_key']}:{r['user_pseudonym']}".encode())
    return h.hexdigest()


def _find_version(base: Path, digest: str) -> Path | None:
    for folder in sorted(base.glob("v*"), reverse=True):
        manifest = folder / "manifest.json"
        if manifest.is_file() and json.loads(manifest.read_text()).get("content_digest") == digest:
            return folder
    return None


def _dataset_card(manifest: dict) -> str:
    rows = manifest["rows"]
    return (
        "---\nconfigs:\n- config_name: default\n  data_files:\n"
        + "".join(f"  - split: {s}\n    path: data/{s}-*.parquet\n" for s in SPLITS)
        + "---\n"
        f"# {DATASET_NAME} {manifest['version']}\n\n"
        "Instruction-guided image edits (InstructPix2Pix format) exported by Curata.\n\n"
        f"- train rows: {rows['train']}, validation rows: {rows['validation']}\n"
        f"- code version: {manifest['code_version']}\n"
        "- split: grouped by original image hash, so one photo never appears in both splits\n\n"
        '```python\nfrom datasets import load_dataset\nds = load_dataset("<this folder>")\n```\n'
    )
