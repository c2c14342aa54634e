"""What ingestion refuses because its person asked to be erased, by pseudonym, image hash or session id.

Image hashes do not depend on the pseudonym key, so they still match after a rotation; a pseudonym
tombstone matches only under the key that made it (see `curata.erasure.rotation`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from curata.tombstones import CONTENT, ERASURE_TOMBSTONES, PSEUDONYM, SESSION
from curata.warehouse import Warehouse


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
