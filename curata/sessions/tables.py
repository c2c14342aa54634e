"""Arrow schemas of the session tables, so an empty partition still has its columns."""

from __future__ import annotations

import pyarrow as pa

RAW_SESSIONS_SCHEMA = pa.schema(
    [
        ("session_folder", pa.string()),
        ("partition_date", pa.string()),
        ("partition_source", pa.string()),
        ("newest_mtime", pa.float64()),
        ("file_count", pa.int32()),
        ("total_bytes", pa.int64()),
    ]
)

VALIDATED_SESSIONS_SCHEMA = pa.schema(
    [
        ("session_id", pa.string()),
        ("session_folder", pa.string()),
        ("partition_date", pa.string()),
        ("timestamp", pa.timestamp("ms", tz="UTC")),
        ("instruction", pa.string()),
        ("user_pseudonym", pa.string()),
        ("original_path", pa.string()),
        ("original_sha256", pa.string()),
        ("original_width", pa.int32()),
        ("original_height", pa.int32()),
        ("original_bytes", pa.int64()),
        ("edited_path", pa.string()),
        ("edited_sha256", pa.string()),
        ("edited_width", pa.int32()),
        ("edited_height", pa.int32()),
        ("edited_bytes", pa.int64()),
        ("content_key", pa.string()),
    ]
)

DEFERRED_SESSIONS_SCHEMA = pa.schema(
    [
        ("session_folder", pa.string()),
        ("partition_date", pa.string()),
        ("reason", pa.string()),
    ]
)
