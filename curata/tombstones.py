"""The tombstones table: what was erased, by pseudonym, image hash or session id, so it is refused if it comes back.

Erasure writes it and ingestion reads it (`curata.sessions.tombstones`): it is declared below both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pyarrow as pa

from curata.tables import TableSpec, col

PSEUDONYM, CONTENT, SESSION = "pseudonym", "content", "session"  # kinds of tombstone

# No column has a role: the tombstones are what erasure keeps on purpose, never what it removes.
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


def tombstone_table(
    request_id: str,
    requested_at: datetime,
    pseudonym: str | None,
    key_id: str | None,
    hashes: Iterable[str],
    folders: Iterable[str],
) -> pa.Table:
    rows = [(PSEUDONYM, pseudonym, key_id)] if pseudonym else []
    rows += [(CONTENT, h, None) for h in sorted(set(hashes))]
    rows += [(SESSION, f, None) for f in sorted(set(folders))]
    return ERASURE_TOMBSTONES.from_rows(
        [
            {"request_id": request_id, "kind": k, "value": v, "pseudonym_key_id": key, "erased_at": requested_at}
            for k, v, key in rows
        ]
    )
