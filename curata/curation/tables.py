"""Arrow schemas of the validated curation tables."""

import pyarrow as pa

VALIDATED_SELECTIONS_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),  # <log file>:<line>
        ("timestamp", pa.string()),
        ("session_id", pa.string()),
        ("set_id", pa.string()),
        ("chosen_path", pa.string()),
        ("chosen_sha256", pa.string()),
        ("rejected_paths", pa.list_(pa.string())),
        ("rejected_sha256", pa.list_(pa.string())),
        ("path_methods", pa.list_(pa.string())),  # per path: direct | suffix
    ]
)

VALIDATED_CROPS_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("timestamp", pa.string()),
        ("session_id", pa.string()),
        ("set_id", pa.string()),
        ("directory", pa.string()),
        ("tool_layout", pa.string()),  # canonical | no_directory | extra_columns
        ("chosen_idx", pa.int32()),
        ("chosen_path", pa.string()),
        ("chosen_sha256", pa.string()),
        ("image_paths", pa.list_(pa.string())),
        ("image_stages", pa.list_(pa.string())),
        ("image_widths", pa.list_(pa.int32())),
        ("image_heights", pa.list_(pa.int32())),
        ("sizes_recovered", pa.list_(pa.bool_())),  # True where (0, 0) or no size was logged
        ("width", pa.int32()),  # of the chosen image
        ("height", pa.int32()),
        ("crop_x1", pa.float64()),
        ("crop_y1", pa.float64()),
        ("crop_x2", pa.float64()),
        ("crop_y2", pa.float64()),
        ("crop_nx1", pa.float64()),  # normalised to [0, 1] by the chosen image's size
        ("crop_ny1", pa.float64()),
        ("crop_nx2", pa.float64()),
        ("crop_ny2", pa.float64()),
        ("path_methods", pa.list_(pa.string())),
    ]
)
