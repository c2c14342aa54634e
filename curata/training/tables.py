"""The probe's tables, declared once: its figures per dataset, and each dataset's likely label errors."""

import pyarrow as pa

from curata.export.names import CROP_BOXES_NAME, PREFERENCE_PAIRS_NAME
from curata.tables import IMAGE_HASH, TableSpec, col, image_path

_REASON = col("reason", pa.string(), "why the label is doubted, in words")


def figures_spec(dataset: str, metric: str) -> TableSpec:
    """One row per baseline: the probe's held-out figure beside it, and what the figure can mean."""
    return TableSpec(
        f"{dataset}_probe",
        f"The learnability probe of `{dataset}`: held-out {metric} by split-group cross-validation, "
        "against trivial baselines.",
        (
            col("dataset", pa.string(), "the export probed"),
            col("model", pa.string(), "what was trained, on which vectors"),
            col("metric", pa.string(), metric),
            col("rows", pa.int64(), "rows probed (both images' vectors known, two distinct images)"),
            col("groups", pa.int64(), "split groups the folds keep whole"),
            col("folds", pa.int32(), "cross-validation folds; 0 when there were too few groups or rows"),
            col("score", pa.float64(), "the probe's held-out figure; null when it could not run"),
            col("baseline", pa.string(), "the trivial baseline of this row"),
            col("baseline_score", pa.float64(), "the baseline's figure on the same held-out rows"),
            col("learnable", pa.bool_(), "the probe beats the simplest baseline by three standard errors"),
            col("label_issues", pa.int64(), "rows flagged as likely label errors"),
            col("embedding_fingerprint", pa.string(), "the CLIP model whose vectors were probed"),
            col("weights", pa.string(), "that model's weights, from its model.json (`random(seed=…)` or a tag)"),
            col("reading", pa.string(), "what the figure means, random weights included"),
        ),
    )


PAIR_FIGURES = figures_spec(PREFERENCE_PAIRS_NAME, "accuracy (the preferred image predicted)")
CROP_FIGURES = figures_spec(CROP_BOXES_NAME, "mean IoU (predicted box against drawn box)")
PAIR_KEYS = ("record_id", "chosen_sha256", "rejected_sha256")  # one exported pair
CROP_KEYS = ("record_id",)  # one exported crop

PAIR_LABEL_ISSUES = TableSpec(
    f"{PREFERENCE_PAIRS_NAME}_label_issues",
    "Preference pairs whose label the probe doubts with confidence (cleanlab); kept in the export with a flag.",
    (
        col("record_id", pa.string(), "the source record, as in the export"),
        col("source", pa.string(), "`historical` or `selection`"),
        col("chosen_sha256", pa.string(), "the image labelled preferred", IMAGE_HASH),
        col("rejected_sha256", pa.string(), "the other image", IMAGE_HASH),
        col("chosen_path", pa.string(), "path of the chosen image under the data root", image_path("chosen_sha256")),
        col("rejected_path", pa.string(), "path of the rejected image", image_path("rejected_sha256")),
        col("label_0", pa.float64(), "the export's label_0 (1.0: jpg_0 is the chosen image)"),
        col("probability_0", pa.float64(), "the probe's out-of-fold probability that jpg_0 won"),
        _REASON,
    ),
)

CROP_LABEL_ISSUES = TableSpec(
    f"{CROP_BOXES_NAME}_label_issues",
    "Crops whose drawn box the probe's box barely overlaps; kept in the export with a flag.",
    (
        col("record_id", pa.string(), "the crop-log row, as in the export"),
        col("image_sha256", pa.string(), "the chosen image", IMAGE_HASH),
        col("chosen_path", pa.string(), "its path under the data root", image_path("image_sha256")),
        *(col(c, pa.float64(), f"drawn box {c[-2:]}, pixels") for c in ("crop_x1", "crop_y1", "crop_x2", "crop_y2")),
        col("predicted_box", pa.list_(pa.float64(), 4), "the probe's out-of-fold box, normalised (x1, y1, x2, y2)"),
        col("iou", pa.float64(), "the predicted box against the drawn one"),
        _REASON,
    ),
)

TRAINING_TABLES = (PAIR_FIGURES, PAIR_LABEL_ISSUES, CROP_FIGURES, CROP_LABEL_ISSUES)
