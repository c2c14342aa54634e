"""Arrow schemas of the historical-project tables."""

import pyarrow as pa

HISTORICAL_GROUPS_SCHEMA = pa.schema(
    [
        ("project", pa.string()),
        ("group_key", pa.string()),
        ("group_time", pa.timestamp("s")),
        ("outcome", pa.string()),  # chosen | none_kept | quarantined
        ("members", pa.list_(pa.string())),
        ("stages", pa.list_(pa.int32())),
        ("chosen_path", pa.string()),
        ("chosen_stage", pa.int32()),
        ("winner_path", pa.string()),
        ("match_method", pa.string()),  # name | content | pixels
        ("anomaly", pa.bool_()),
    ]
)

HISTORICAL_PAIRS_SCHEMA = pa.schema(
    [
        ("project", pa.string()),
        ("group_key", pa.string()),
        ("group_time", pa.timestamp("s")),
        ("chosen_path", pa.string()),
        ("rejected_path", pa.string()),
        ("chosen_stage", pa.int32()),
        ("rejected_stage", pa.int32()),
        ("chosen_sha256", pa.string()),
        ("rejected_sha256", pa.string()),
        ("anomaly", pa.bool_()),
        ("match_method", pa.string()),
    ]
)

PROJECT_STATS_SCHEMA = pa.schema(
    [
        ("project", pa.string()),
        ("files_seen", pa.int64()),
        ("sandbox_files", pa.int64()),
        ("winner_files", pa.int64()),
        ("grouped_files", pa.int64()),
        ("stray_files", pa.int64()),
        ("groups", pa.int64()),
        ("groups_chosen", pa.int64()),
        ("groups_none_kept", pa.int64()),
        ("groups_quarantined", pa.int64()),
        ("winners_matched", pa.int64()),
        ("winners_unmatched", pa.int64()),
        ("pairs", pa.int64()),
        ("anomalies", pa.int64()),
        ("anomaly_rate", pa.float64()),
    ]
)
