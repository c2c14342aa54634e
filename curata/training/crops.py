"""The probe of the crop boxes: a box regressor from the chosen image's vector, folds by the export's groups."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from curata.export.crop_boxes import CROP_BOXES
from curata.export.inputs import ExportContext
from curata.export.neardup import load_vectors
from curata.export.splits import assign_splits
from curata.training.findings import Findings, common_figures, figures_table
from curata.training.label_issues import crop_issues, crop_reason
from curata.training.probe import probe_crops
from curata.training.tables import CROP_FIGURES, CROP_KEYS, CROP_LABEL_ISSUES

MODEL = "a ridge regression from the image's CLIP vector to the normalised box (standardised)"
WHOLE_IMAGE = "the whole image"
MEAN_BOX = "the mean training box"
_NORMALISED = ("crop_nx1", "crop_ny1", "crop_nx2", "crop_ny2")
_PIXELS = ("crop_x1", "crop_y1", "crop_x2", "crop_y2")


def probe_crop_boxes(crops: pa.Table, ctx: ExportContext, weights: str) -> Findings:
    """Out-of-fold mean IoU against the whole-image and mean-box baselines, and the crops it doubts."""
    rows = pa.table(
        {
            "record_id": crops.column("record_id"),
            "session_id": crops.column("session_id"),
            "set_id": crops.column("set_id"),
            "image_sha256": crops.column("chosen_sha256"),
            "chosen_path": crops.column("chosen_path"),
            **{c: crops.column(c) for c in (*_PIXELS, *_NORMALISED)},
        }
    )
    grouping = CROP_BOXES.grouping
    vectors = load_vectors(grouping.images(rows), ctx.vectors_for)
    hashes = rows.column("image_sha256").to_pylist()
    keep = np.array([i for i, h in enumerate(hashes) if h in vectors.row_of], dtype=np.int64)
    groups = assign_splits(rows, grouping, vectors, ctx.splits, keep=keep).group_of_row[keep]
    x = vectors.matrix[[vectors.row_of[hashes[i]] for i in keep]]
    kept = rows.take(pa.array(keep))
    boxes = np.column_stack([kept.column(c).to_numpy() for c in _NORMALISED]) if len(keep) else np.zeros((0, 4))
    probe = probe_crops(x, boxes, groups)
    flagged = crop_issues(probe) if probe is not None else np.zeros(0, dtype=np.int64)
    common = common_figures(
        CROP_BOXES.name, MODEL, "mean IoU", groups, probe, len(flagged), ctx.embedding_fingerprint, weights
    )
    baselines = {MEAN_BOX: probe.mean_box_iou, WHOLE_IMAGE: probe.whole_image_iou} if probe else {MEAN_BOX: None}
    figures = figures_table(CROP_FIGURES, common, probe.mean_iou if probe else None, baselines)
    issues = kept.take(pa.array(flagged, pa.int64()))
    iou = probe.iou[flagged] if probe else np.zeros(0)
    predicted = probe.boxes[flagged] if probe else np.zeros((0, 4))
    mean_iou = probe.mean_iou if probe else 0.0
    table = pa.table(
        {
            **{c: issues.column(c) for c in ("record_id", "image_sha256", "chosen_path", *_PIXELS)},
            "predicted_box": pa.FixedSizeListArray.from_arrays(pa.array(predicted.ravel(), pa.float64()), 4),
            "iou": pa.array(iou, pa.float64()),
            "reason": [crop_reason(v, mean_iou) for v in iou.tolist()],
        }
    )
    return Findings(figures, table.cast(CROP_LABEL_ISSUES.schema), CROP_KEYS)
