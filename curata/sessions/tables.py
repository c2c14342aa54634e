"""The session tables, declared once (columns, meanings, partitioning)."""

from __future__ import annotations

import pyarrow as pa

from curata.quarantine import quarantine_spec
from curata.tables import IMAGE_HASH, PSEUDONYM, SESSION_FOLDER, TableSpec, col, image_path

RAW_SESSIONS = TableSpec(
    "raw_sessions",
    "Every session folder of the day as found on disk: the input records.",
    (
        col("session_folder", pa.string(), "folder name, the record id", SESSION_FOLDER),
        col(
            "partition_date", pa.string(), "the day: from the folder name, else the metadata timestamp, else the mtime"
        ),
        col("partition_source", pa.string(), "`folder_name`, `metadata` or `mtime`"),
        col("newest_mtime", pa.float64(), "newest modification time of the folder and its entries (epoch s)"),
        col("file_count", pa.int32(), "entries in the folder"),
        col("total_bytes", pa.int64(), "their sizes added up"),
    ),
    "day",
)

VALIDATED_SESSIONS = TableSpec(
    "validated_sessions",
    "Sessions that passed every rule: one edit triplet each.",
    (
        col("session_id", pa.string(), "`session-<ts>`", SESSION_FOLDER),
        col("session_folder", pa.string(), "the folder name (equal to session_id)", SESSION_FOLDER),
        col("partition_date", pa.string(), "day of the session"),
        col("timestamp", pa.timestamp("ms", tz="UTC"), "session time"),
        col("instruction", pa.string(), "the edit instruction, cleaned (`curata.text.clean_text`)"),
        col("instruction_raw", pa.string(), "the instruction exactly as the metadata holds it"),
        col("user_pseudonym", pa.string(), "keyed HMAC of the email; null for anonymous", PSEUDONYM),
        col("pseudonym_key_id", pa.string(), "id of the key that made the pseudonym; null for anonymous"),
        col("original_path", pa.string(), "path of the original photo", image_path("original_sha256")),
        col("original_sha256", pa.string(), "its content hash", IMAGE_HASH),
        col("original_width", pa.int32(), "its width in pixels, from the decoded image"),
        col("original_height", pa.int32(), "its height in pixels"),
        col("original_bytes", pa.int64(), "its file size"),
        col("edited_path", pa.string(), "path of the AI result", image_path("edited_sha256")),
        col("edited_sha256", pa.string(), "its content hash", IMAGE_HASH),
        col("edited_width", pa.int32(), "its width in pixels"),
        col("edited_height", pa.int32(), "its height in pixels"),
        col("edited_bytes", pa.int64(), "its file size"),
        col("pair_key", pa.string(), "sha256 of both image hashes: one image pair, whatever the instruction"),
        col("content_key", pa.string(), "sha256 of both image hashes and the cleaned instruction: duplicate detection"),
    ),
    "day",
    images_embedded=True,
)

SESSION_QUARANTINE = quarantine_spec(
    "session_quarantine", "One row per refused session folder: rule, file, detail, hint.", "day", SESSION_FOLDER
)

DEFERRED_SESSIONS = TableSpec(
    "deferred_sessions",
    "Folders that may still be written: validated by a later run, never lost. Only waiting defers a folder; "
    "what waiting cannot cure (a link out of the data root, a link loop) is quarantined.",
    (
        col("session_folder", pa.string(), "folder not yet settled", SESSION_FOLDER),
        col("partition_date", pa.string(), "day"),
        col("reason", pa.string(), "why it waits: modified inside the settle time, or dated ahead (clock skew)"),
    ),
    "day",
)

TRAINING_LOG_LINES = TableSpec(
    "training_log_lines",
    "Status of every non-blank line of `sessions/training-log.jsonl`.",
    (
        col("line_no", pa.int64(), "1-based line number (blank lines are not records)"),
        col("session_id", pa.string(), "as logged; null when the line does not parse", SESSION_FOLDER),
        col(
            "status",
            pa.string(),
            "`consistent` (matches an accepted session), `pending` (its folder is quarantined or deferred), "
            "`quarantined`",
        ),
    ),
)

TRAINING_LOG_QUARANTINE = quarantine_spec(
    "training_log_quarantine", "Refused training-log lines; record id `training-log.jsonl:<line>`."
)

SESSION_PEOPLE = TableSpec(
    "session_people",
    "Whose each validated folder is, accepted or quarantined: what an erasure request finds a person's sessions by.",
    (
        col("session_folder", pa.string(), "folder name, the record id", SESSION_FOLDER),
        col("partition_date", pa.string(), "day"),
        col("outcome", pa.string(), "`accepted` or `quarantined`"),
        col(
            "user_pseudonym",
            pa.string(),
            "keyed HMAC of the metadata's email; null if anonymous or unreadable",
            PSEUDONYM,
        ),
        col("pseudonym_key_id", pa.string(), "id of the key that made the pseudonym; null without one"),
        col(
            "original_sha256",
            pa.string(),
            "content hash of the original photo; null if it could not be read",
            IMAGE_HASH,
        ),
        col("edited_sha256", pa.string(), "content hash of the AI result; null if it could not be read", IMAGE_HASH),
    ),
    "day",
)
