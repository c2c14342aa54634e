"""What every exporter is given: where to write, where the images are, their vectors, limits and quality gate."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from curata.export.neardup import VectorLookup
from curata.export.quality_gate import QualityGate
from curata.export.splits import SplitSettings
from curata.images import ImageLimits
from curata.storage import Store


class SourceChanged(RuntimeError):
    """An image is gone or changed on disk after validation; exporting it would break the recorded provenance."""


@dataclass(frozen=True)
class ExportContext:
    store: Store  # where `exports/` is written
    data_root: Path  # where the images named by the warehouse tables are read
    vectors_for: VectorLookup
    embedding_fingerprint: str  # the model every vector comes from
    image_limits: ImageLimits
    max_sidecar_bytes: int  # a caption sidecar is a metadata file: the sessions' metadata limit
    splits: SplitSettings = field(default_factory=SplitSettings)
    quality: QualityGate = field(default_factory=QualityGate)  # which rows' images are too poor to export
    now: datetime | None = None  # the version's time; now when None


def read_verified(data_root: Path, rel_path: str, sha256: str, table: str) -> bytes:
    """The file's bytes, or SourceChanged naming the table to re-materialize."""
    try:
        with open(os.path.join(data_root, rel_path), "rb") as handle:  # no Path objects: this runs per image
            data = handle.read()
    except OSError as exc:
        raise SourceChanged(f"{rel_path} cannot be read ({exc.strerror or exc}); re-materialize {table}") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SourceChanged(f"{rel_path} changed since validation; re-materialize {table}")
    return data
