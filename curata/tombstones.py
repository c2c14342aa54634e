"""Tombstones: what ingestion refuses because its person asked to be erased, by pseudonym, image hash or session id.

Erasure writes them, ingestion reads them: they live below both. Image hashes do not depend on the pseudonym
key, so they still match after a rotation; a pseudonym tombstone matches only under the key that made it
(see `curata.erasure.rotation`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from curata.tables import TableSpec, col
from curata.warehouse import Warehouse

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


@dataclass(frozen=True)
class Tombstones:
    """kind -> value -> the request that erased it."""

    erased: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, warehouse: Warehouse) -> Tombstones:
        table = warehouse.read_all(ERASURE_TOMBSTONES.name, columns=["request_id", "kind", "value"])
        erased: dict[str, dict[str, str]] = {PSEUDONYM: {}, CONTENT: {}, SESSION: {}}
        for request, kind, value in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True):
            erased.setdefault(kind, {})[value] = request
        return cls(erased)

    def of(self, kind: str) -> dict[str, str]:
        return self.erased.get(kind, {})

    def match(self, folder: str, pseudonym: str | None, hashes: Iterable[str | None]) -> str | None:
        """The request that erased this session's person, image or folder; None when nothing matches."""
        for kind, values in ((SESSION, [folder]), (PSEUDONYM, [pseudonym]), (CONTENT, hashes)):
            for value in values:
                if value is not None and value in self.of(kind):
                    return self.of(kind)[value]
        return None

    def __bool__(self) -> bool:
        return any(self.erased.values())


NO_TOMBSTONES = Tombstones()


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
