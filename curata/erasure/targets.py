"""What one request erases: the person's session folders (by day), their image hashes, and the archives holding them.

Found through the indexes, never by reading every partition. An image whose bytes another person's session
also holds is not theirs alone: it is kept (its hash is listed as shared), everything else of theirs goes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.compute as pc

from curata.archive.receipts import read_receipt
from curata.erasure.index import BY_IMAGE, BY_PERSON, lookup, partition_versions
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
    pseudonyms: list[str]  # pseudonyms of these sessions (a request by session id can name a person's session)
    versions: dict[str, str]  # day -> version of its session_people partition when found (see index)

    @property
    def days(self) -> list[str]:
        return sorted(set(self.sessions.values()))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Target:
        return cls(**data)


def find_target(request: ErasureRequest, warehouse: Warehouse, store: Store) -> Target:
    """The request's sessions (its pseudonym's and those it names), their images, and where they are archived."""
    versions = partition_versions(warehouse.store, SESSION_PEOPLE.name)  # listed first: what the lookups trust
    sessions = {name: day_of(name) for name in request.session_ids}
    if request.pseudonym:
        found = lookup(warehouse, BY_PERSON, [request.pseudonym], versions)
        sessions |= dict(zip(*(found.column(c).to_pylist() for c in ("session_folder", "partition_date")), strict=True))
    people = _people_of(warehouse, sessions)
    hashes = sorted({h for c in ("original_sha256", "edited_sha256") for h in people.column(c).to_pylist() if h})
    holders = lookup(warehouse, BY_IMAGE, hashes, versions)
    others = pc.invert(pc.is_in(holders.column("session_folder"), pa.array(sorted(sessions), pa.string())))
    shared = set(holders.filter(others).column("sha256").to_pylist())
    return Target(
        sessions=dict(sorted(sessions.items())),
        hashes=sorted(set(hashes) - shared),
        shared=sorted(shared),
        archives=_archives(store, sessions),
        pseudonyms=sorted({p for p in people.column("user_pseudonym").to_pylist() if p}),
        versions={d: versions[d] for d in sorted(set(sessions.values())) if d in versions},
    )


def day_of(folder: str) -> str:
    """The day a session folder is partitioned by, from its name (requests refuse names that do not parse)."""
    stamp = parse_folder_name(folder)
    if stamp is None:
        raise ValueError(f"{folder!r} is not a session folder's name")
    return stamp.date().isoformat()


def _people_of(warehouse: Warehouse, sessions: dict[str, str]) -> pa.Table:
    """The sessions' `session_people` rows, from their days' partitions."""
    days = [d for d in sorted(set(sessions.values())) if warehouse.exists(SESSION_PEOPLE.name, d)]
    people = warehouse.read_all(SESSION_PEOPLE.name, days)
    return people.filter(pc.is_in(people.column("session_folder"), pa.array(sorted(sessions), pa.string())))


def _archives(store: Store, sessions: dict[str, str]) -> dict[str, str]:
    out = {}
    for day in sorted(set(sessions.values())):
        receipt = read_receipt(store, day)
        if receipt is not None and set(receipt.folders) & set(sessions):
            out[day] = receipt.entry.object_key
    return out
