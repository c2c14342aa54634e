"""The erasure tables, declared once: the two indexes that find a person without a scan.

`session_people` (the daily table ingestion writes) is in `curata.sessions.tables`, the tombstones in
`curata.tombstones`. The indexes are built from `session_people`, sharded by the first two hex characters of
their key and sorted by it (see `curata.erasure.index`).
"""

from __future__ import annotations

import pyarrow as pa

from curata.tables import IMAGE_HASH, PSEUDONYM, SESSION_FOLDER, TableSpec, col

PERSON_INDEX = TableSpec(
    "person_index",
    "Every session of `session_people` with a pseudonym; one partition per pseudonym prefix: a request reads one.",
    (
        col(
            "user_pseudonym",
            pa.string(),
            "keyed HMAC of the email (the key; its first two characters, the shard)",
            PSEUDONYM,
        ),
        col("session_folder", pa.string(), "the folder", SESSION_FOLDER),
        col("partition_date", pa.string(), "its day"),
    ),
    "prefix",
)

IMAGE_INDEX = TableSpec(
    "image_index",
    "Every image hash of `session_people`, one partition per hash prefix: who else holds the same bytes.",
    (
        col(
            "sha256",
            pa.string(),
            "content hash of an original or edited image (the key; its prefix, the shard)",
            IMAGE_HASH,
        ),
        col("session_folder", pa.string(), "a folder holding it", SESSION_FOLDER),
        col("partition_date", pa.string(), "its day"),
        col("user_pseudonym", pa.string(), "that folder's pseudonym; null if anonymous", PSEUDONYM),
    ),
    "prefix",
)
