"""training_report.json: the seed's summary of a training run, from the accepted tables."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from curata.library.cooccurrence import TagCooccurrence

TOP_CATEGORIES = 5


def training_report(images: pa.Table, cooc: TagCooccurrence, quarantined: int, generated_at: str | None = None) -> dict:
    """Totals, images with faces and with detailed descriptions, the top tags and a status.

    `generated_at` defaults to the newest created_at, not the clock, so an unchanged library gives
    the same report on every run.
    """
    newest = pc.max(images.column("created_at")).as_py() if images.num_rows else None
    counts = cooc.counts_table()
    return {
        "timestamp": generated_at or (newest.isoformat() if newest else None),
        "total_images": images.num_rows,
        "total_tags": counts.num_rows,
        "images_with_faces": int(pc.sum(pc.greater(images.column("face_count"), 0)).as_py() or 0),
        "images_with_detailed_desc": int(pc.sum(pc.not_equal(images.column("detailed_description"), "")).as_py() or 0),
        "total_faces": int(pc.sum(images.column("face_count")).as_py() or 0),
        "quarantined_records": quarantined,
        "top_categories": counts.column("tag").to_pylist()[:TOP_CATEGORIES],
        "status": "completed" if images.num_rows else "no_images",
    }
