"""What the export tests share: real images on disk, the warehouse tables that name them, and stand-in vectors.

The vectors are a stand-in for CLIP, not a mock of it: the mean-free 32x32 grey thumbnail of the
decoded image, unit norm. A re-encoded or slightly resized copy scores above 0.999 against its
original, distinct sample houses at most 0.81 (a restyle of the same house, as an edit is, up to
0.97), so near-duplicate grouping behaves as with trained CLIP weights; random weights would call
every sample house a near-duplicate of every other.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
from PIL import Image

from curata.curation.tables import VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.export.inputs import ExportContext
from curata.export.splits import SplitSettings
from curata.images import ImageLimits
from curata.projects.tables import HISTORICAL_PAIRS
from curata.sample.scenes import STYLES, jpeg_bytes, render_house
from curata.sessions.tables import VALIDATED_SESSIONS
from curata.sessions.validate import DEFAULT_LIMITS
from curata.storage import Store

SIZE = (128, 96)
T0 = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
FINGERPRINT = "thumbnail-32-test"


def thumbnail_vector(data: bytes) -> list[float]:
    grey = Image.open(io.BytesIO(data)).convert("L").resize((32, 32), Image.BILINEAR)
    v = np.asarray(grey, dtype=np.float32).ravel()
    v -= v.mean()
    return (v / np.linalg.norm(v)).tolist()


class ImageBank:
    """Image files under a data root, remembered by hash so vectors and expected pixels can be looked up."""

    def __init__(self, root: Path):
        self.root = root
        self.data: dict[str, bytes] = {}
        self.lookups = 0

    def put(self, rel: str, data: bytes) -> str:
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).write_bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        self.data[sha] = data
        return sha

    def house(self, rel: str, seed: int, style: str = "original") -> str:
        return self.put(rel, jpeg_bytes(render_house(seed, SIZE, style=style)))

    def vectors_for(self, hashes: list[str]) -> dict[str, list[float]]:
        self.lookups += 1
        return {h: thumbnail_vector(self.data[h]) for h in hashes if h in self.data}

    def image(self, sha: str) -> Image.Image:
        return Image.open(io.BytesIO(self.data[sha]))


def context(store: Store, bank: ImageBank, **splits: object) -> ExportContext:
    return ExportContext(
        store=store,
        data_root=bank.root,
        vectors_for=bank.vectors_for,
        embedding_fingerprint=FINGERPRINT,
        image_limits=ImageLimits(),
        max_sidecar_bytes=DEFAULT_LIMITS.max_metadata_bytes,
        splits=SplitSettings(**splits),
    )


def sessions_table(bank: ImageBank, seeds: list[int], originals: dict[int, bytes] | None = None) -> pa.Table:
    """One accepted session per seed; `originals` replaces the original photo of some sessions."""
    rows = []
    for i, seed in enumerate(seeds):
        ts = T0 + timedelta(minutes=i)
        sid = f"session-{ts:%Y-%m-%dT%H-%M-%S}-000Z"
        style = list(STYLES)[1 + i % 4]
        original = (originals or {}).get(i) or jpeg_bytes(render_house(seed, SIZE))
        o_sha = bank.put(f"sessions/{sid}/original.jpg", original)
        e_sha = bank.house(f"sessions/{sid}/reimagined.jpg", seed, style)
        rows.append(
            {
                "session_id": sid,
                "session_folder": sid,
                "partition_date": f"{ts:%Y-%m-%d}",
                "timestamp": ts,
                "instruction": f"make it {style}",
                "instruction_raw": f"make it {style}",
                "user_pseudonym": f"pseudonym-{i % 3}",
                "pseudonym_key_id": "k1",
                "original_path": f"sessions/{sid}/original.jpg",
                "original_sha256": o_sha,
                "original_width": SIZE[0],
                "original_height": SIZE[1],
                "original_bytes": len(bank.data[o_sha]),
                "edited_path": f"sessions/{sid}/reimagined.jpg",
                "edited_sha256": e_sha,
                "edited_width": SIZE[0],
                "edited_height": SIZE[1],
                "edited_bytes": len(bank.data[e_sha]),
                "pair_key": hashlib.sha256(f"{o_sha}{e_sha}".encode()).hexdigest(),
                "content_key": hashlib.sha256(f"{o_sha}{e_sha}{style}".encode()).hexdigest(),
            }
        )
    return VALIDATED_SESSIONS.from_rows(rows)


def historical_table(bank: ImageBank, project: str, groups: int, seed: int = 0, chosen_stage: int = 2) -> pa.Table:
    """`groups` stage groups of three stages; stage `chosen_stage` kept, so stage 3 losing is an anomaly."""
    rows = []
    for g in range(groups):
        key = f"20250708_06{g:02d}11"
        shas = {
            k: bank.house(f"projects/{project}/sandbox/{project}/{key}_stage{k}.jpg", seed * 100 + g, list(STYLES)[k])
            for k in (1, 2, 3)
        }
        for k in sorted({1, 2, 3} - {chosen_stage}):
            rows.append(
                {
                    "project": project,
                    "group_key": key,
                    "group_time": datetime(2025, 7, 8, 6, g, 11),
                    "chosen_path": f"projects/{project}/sandbox/{project}/{key}_stage{chosen_stage}.jpg",
                    "rejected_path": f"projects/{project}/sandbox/{project}/{key}_stage{k}.jpg",
                    "chosen_stage": chosen_stage,
                    "rejected_stage": k,
                    "chosen_sha256": shas[chosen_stage],
                    "rejected_sha256": shas[k],
                    "anomaly": chosen_stage < k,
                    "match_method": "name",
                }
            )
    return HISTORICAL_PAIRS.from_rows(rows)


def selections_table(bank: ImageBank, sets: int, seed: int = 50) -> pa.Table:
    """`sets` selection rows, each choosing one of three images of its set over the two others."""
    rows = []
    for s in range(sets):
        paths = [f"curation/images/set_{s:03d}/img_stage{k}.jpg" for k in (1, 2, 3)]
        shas = [bank.house(p, seed + s, list(STYLES)[k]) for k, p in enumerate(paths, start=1)]
        chosen = s % 3
        rows.append(
            {
                "record_id": f"selection_only_log.csv:{s + 2}",
                "timestamp": f"2025-10-01T10:{s:02d}:00",
                "session_id": f"s{s % 4}",
                "set_id": f"set_{s:03d}",
                "chosen_path": paths[chosen],
                "chosen_sha256": shas[chosen],
                "rejected_paths": [p for k, p in enumerate(paths) if k != chosen],
                "rejected_sha256": [h for k, h in enumerate(shas) if k != chosen],
                "path_methods": ["direct"] * 3,
            }
        )
    return VALIDATED_SELECTIONS.from_rows(rows)


def crops_table(bank: ImageBank, sets: int, seed: int = 80) -> pa.Table:
    """`sets` crop rows; every third logged its sizes as (0, 0), recovered from the file."""
    w, h = SIZE
    rows = []
    for s in range(sets):
        paths = [f"curation/crops/set_{s:03d}/img_stage{k}.jpg" for k in (1, 2)]
        shas = [bank.house(p, seed + s, list(STYLES)[k]) for k, p in enumerate(paths, start=1)]
        recovered = s % 3 == 0
        x1, y1, x2, y2 = 4.0 + s, 6.0, 100.0, 80.0 - s
        rows.append(
            {
                "record_id": f"select_crop_log.csv:{s + 2}",
                "timestamp": f"2025-10-01T11:{s:02d}:00",
                "session_id": f"s{s % 4}",
                "set_id": f"set_{s:03d}",
                "directory": f"set_{s:03d}",
                "tool_layout": "canonical",
                "chosen_idx": 1,
                "chosen_path": paths[1],
                "chosen_sha256": shas[1],
                "image_paths": paths,
                "image_stages": ["stage1", "stage2"],
                "image_widths": [w, w],
                "image_heights": [h, h],
                "sizes_recovered": [recovered, recovered],
                "width": w,
                "height": h,
                **dict(zip(("crop_x1", "crop_y1", "crop_x2", "crop_y2"), (x1, y1, x2, y2), strict=True)),
                **dict(
                    zip(("crop_nx1", "crop_ny1", "crop_nx2", "crop_ny2"), (x1 / w, y1 / h, x2 / w, y2 / h), strict=True)
                ),
                "path_methods": ["direct"] * 3,
            }
        )
    return VALIDATED_CROPS.from_rows(rows)
