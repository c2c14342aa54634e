"""The erasure tables, declared once: tombstones, and the two indexes that find a person without a scan.

`session_people` (the daily table ingestion writes) is in `curata.sessions.tables`; the indexes are built
from it, sharded by the first two hex characters of their key and sorted by it (see `curata.erasure.index`).
"""

from __future__ import annotations

import pyarrow as pa

from curata.tables import TableSpec, col

PSEUDONYM, CONTENT, SESSION = "pseudonym", "content", "session"  # kinds of tombstone

ERASURE_TOMBSTONES = TableSpec(
    "erasure_tombstones",
    "What was erased, so that it is refused if it comes back: pseudonyms, image hashes and session ids, never an "
    "email. One partition per erasure request.",
    (
        col("request_id", pa.string(), "the erasure request (`erasure/requests/<id>.json`)"),
        col("kind", pa.string(), "`pseudonym`, `content` (an image's sha256) or `session` (a folder name)"),
        col("value", pa.string(), "the pseudonym, hash or folder name"),
        col("pseudonym_key_id", pa.string(), "for a pseudonym, the key that made it; null otherwise"),
        col("erased_at", pa.timestamp("ms", tz="UTC"), "when the request was made"),
    ),
    "request",
)

PERSON_INDEX = TableSpec(
    "person_index",
    "Every session of `session_people` with a pseudonym; one partition per pseudonym prefix: a request reads one.",
    (
        col("user_pseudonym", pa.string(), "keyed HMAC of the email (the key; its first two characters, the shard)"),
        col("session_folder", pa.string(), "the folder"),
        col("partition_date", pa.string(), "its day"),
    ),
    "prefix",
)

IMAGE_INDEX = TableSpec(
    "image_index",
    "Every image hash of `session_people`, one partition per hash prefix: who else holds the same bytes.",
    (
        col("sha256", pa.string(), "content hash of an original or edited image (the key; its prefix, the shard)"),
        col("session_folder", pa.string(), "a folder holding it"),
        col("partition_date", pa.string(), "its day"),
        col("user_pseudonym", pa.string(), "that folder's pseudonym; null if anonymous"),
    ),
    "prefix",
)
