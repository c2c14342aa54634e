"""The embeddings' section of the health report: referenced images by status, and those that failed."""

from __future__ import annotations

import pyarrow as pa

from curata.embeddings.tables import IMAGE_EMBEDDINGS
from curata.health import SHOWN, HealthSection, Tables
from curata.layout import DataRoot


def embedding_health(catalog: pa.Table) -> dict:
    """Referenced images by embedding status; failures are reported here, not retried until their bytes change."""
    status = catalog.column("status").to_pylist()
    paths = catalog.column("path").to_pylist()
    return {
        "images": len(status),
        **{s: status.count(s) for s in ("ok", "failed", "missing")},
        "failed_paths": sorted(p for p, s in zip(paths, status, strict=True) if s == "failed")[:SHOWN],
        "fingerprints": sorted(set(catalog.column("fingerprint").to_pylist())),
    }


def _build(t: Tables, layout: DataRoot, limits: None) -> dict[str, dict]:
    return {"embeddings": embedding_health(t[IMAGE_EMBEDDINGS.name])}


def _warnings(report: dict) -> list[str]:
    e = report["embeddings"]
    if not e["failed"]:
        return []
    return [f"{e['failed']} images could not be embedded (embedding.failed): {', '.join(e['failed_paths'][:5])}"]


def _run_summary(report: dict) -> list[str]:
    e = report["embeddings"]
    return [
        f"image_embeddings: {e['ok']} of {e['images']} referenced images embedded, {e['failed']} failed, "
        f"{e['missing']} missing; model {', '.join(e['fingerprints']) or 'none yet'}"
    ]


EMBEDDINGS_HEALTH: HealthSection[None] = HealthSection(
    (IMAGE_EMBEDDINGS,), _build, warnings=_warnings, run_summary=_run_summary
)
