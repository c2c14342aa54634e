"""What one request erases: the person's session folders (by day), their image hashes, and the archives holding them.

Found through the indexes, never by reading every partition. An image whose bytes another person's session
also holds is not theirs alone: it is kept (its hash is listed as shared), everything else of theirs goes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from curata.archive.receipts import read_receipt
from curata.erasure.index import BY_IMAGE, BY_PERSON, lookup
from curata.erasure.requests import ErasureRequest
from curata.sessions.naming import parse_folder_name
from curata.sessions.tables import SESSION_PEOPLE
from curata.storage import Store
from curata.warehouse import Warehouse


@dataclass(frozen=True)
class Target:
    sessions: dict[str, str]  # folder -> day
    hashes: list[str]  # image hashes held by these sessions alone: erased everywhere
    shared: list[str]  # image hashes another person's session also holds: kept
    archives: dict[str, str]  # day -> object key of the archive that holds some of the folders

    @property
    def days(self) -> list[str]:
        return sorted(set(self.sessions.values()))

    def to_json(self) -> dict:
        return {"sessions": self.sessions, "hashes": self.hashes, "shared": self.shared, "archives": self.archives}

    @classmethod
    def from_json(cls, data: dict) -> Target:
        return cls(data["sessions"], data["hashes"], data["shared"], data["archives"])


def find_target(request: ErasureRequest, warehouse: Warehouse, store: Store) -> Target:
    """The request's sessions (its pseudonym's and those it names), their images, and where they are archived."""
    sessions = {name: parse_folder_name(name).date().isoformat() for name in request.session_ids}  # type: ignore[union-attr]
    if request.pseudonym:
        found = lookup(warehouse, BY_PERSON, [request.pseudonym])
        sessions |= dict(zip(*(found.column(c).to_pylist() for c in ("session_folder", "partition_date")), strict=True))
    hashes = _hashes_of(warehouse, sessions)
    holders = lookup(warehouse, BY_IMAGE, hashes)
    others = pc.invert(pc.is_in(holders.column("session_folder"), pa.array(sorted(sessions), pa.string())))
    shared = set(holders.filter(others).column("sha256").to_pylist())
    return Target(
        sessions=dict(sorted(sessions.items())),
        hashes=sorted(set(hashes) - shared),
        shared=sorted(shared),
        archives=_archives(store, sessions),
    )


def _hashes_of(warehouse: Warehouse, sessions: dict[str, str]) -> list[str]:
    """Image hashes of the sessions, from their days' `session_people` rows."""
    days = [d for d in sorted(set(sessions.values())) if warehouse.exists(SESSION_PEOPLE.name, d)]
    people = warehouse.read_all(SESSION_PEOPLE.name, days)
    mine = people.filter(pc.is_in(people.column("session_folder"), pa.array(sorted(sessions), pa.string())))
    found = set()
    for column in ("original_sha256", "edited_sha256"):
        found.update(h for h in mine.column(column).to_pylist() if h)
    return sorted(found)


def _archives(store: Store, sessions: dict[str, str]) -> dict[str, str]:
    out = {}
    for day in sorted(set(sessions.values())):
        receipt = read_receipt(store, day)
        if receipt is not None and set(receipt.folders) & set(sessions):
            out[day] = receipt.entry.object_key
    return out
