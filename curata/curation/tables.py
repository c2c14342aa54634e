"""The curation-log tables, declared once."""

import pyarrow as pa

from curata.quarantine import quarantine_spec
from curata.tables import IMAGE_HASH, TableSpec, col, image_path

_STRINGS = pa.list_(pa.string())

VALIDATED_SELECTIONS = TableSpec(
    "validated_selections",
    "Rows of `curation/selection_only_log.csv` that passed every rule: chosen versus rejected images.",
    (
        col("record_id", pa.string(), "`selection_only_log.csv:<line>`"),
        col("timestamp", pa.string(), "as logged"),
        col("session_id", pa.string(), "as logged"),
        col("set_id", pa.string(), "as logged"),
        col("chosen_path", pa.string(), "the chosen image, normalised", image_path("chosen_sha256")),
        col("chosen_sha256", pa.string(), "its content hash", IMAGE_HASH),
        col("rejected_paths", _STRINGS, "the rejected images", image_path("rejected_sha256")),
        col("rejected_sha256", _STRINGS, "their content hashes", IMAGE_HASH),
        col("path_methods", _STRINGS, "per path: `direct` (as written) or `suffix` (longest matching path suffix)"),
    ),
    images_embedded=True,
)

VALIDATED_CROPS = TableSpec(
    "validated_crops",
    "Rows of `curation/select_crop_log.csv` that passed every rule; sizes logged as (0, 0) recovered.",
    (
        col("record_id", pa.string(), "`select_crop_log.csv:<line>`"),
        col("timestamp", pa.string(), "as logged"),
        col("session_id", pa.string(), "as logged"),
        col("set_id", pa.string(), "as logged"),
        col("directory", pa.string(), "as logged; null for the older tool layout"),
        col("tool_layout", pa.string(), "`canonical`, `no_directory` (older tool) or `extra_columns` (newer tool)"),
        col("chosen_idx", pa.int32(), "index of the chosen image in the group"),
        col("chosen_path", pa.string(), "the chosen image", image_path("chosen_sha256")),
        col("chosen_sha256", pa.string(), "its content hash", IMAGE_HASH),
        col("image_paths", _STRINGS, "the group's images", image_path()),
        col("image_stages", _STRINGS, "their stages, as logged"),
        col("image_widths", pa.list_(pa.int32()), "widths, from the file where the log said (0, 0) or nothing"),
        col("image_heights", pa.list_(pa.int32()), "heights, likewise"),
        col("sizes_recovered", pa.list_(pa.bool_()), "True where the size was recovered from the file (auditable)"),
        col("width", pa.int32(), "the chosen image's width"),
        col("height", pa.int32(), "the chosen image's height"),
        col("crop_x1", pa.float64(), "box left, pixels"),
        col("crop_y1", pa.float64(), "box top, pixels"),
        col("crop_x2", pa.float64(), "box right, pixels"),
        col("crop_y2", pa.float64(), "box bottom, pixels"),
        col("crop_nx1", pa.float64(), "box left, normalised to [0, 1] by the chosen image's width"),
        col("crop_ny1", pa.float64(), "box top, normalised by its height"),
        col("crop_nx2", pa.float64(), "box right, normalised"),
        col("crop_ny2", pa.float64(), "box bottom, normalised"),
        col("path_methods", _STRINGS, "per image path, then chosen_path: `direct` or `suffix`"),
    ),
    images_embedded=True,
)

CURATION_QUARANTINE = quarantine_spec(
    "curation_quarantine",
    "Refused curation-log rows; `partition` is the log file, `file` the log and line.",
)
