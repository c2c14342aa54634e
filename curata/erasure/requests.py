"""Erasure requests in the store: who is to be forgotten (a pseudonym, or session ids), when it was asked, where it is.

A request never holds an email: `curata forget --email` turns the address into its pseudonym first.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from curata.erasure.store_keys import REQUESTS, request_key
from curata.sessions.naming import parse_folder_name
from curata.storage import Store

PENDING, COMPLETED = "pending", "completed"
_STAMP = "%Y%m%dT%H%M%S"


class BadRequest(ValueError):
    """A request that names nobody, or a session id that is not a session folder's name."""


@dataclass(frozen=True)
class ErasureRequest:
    id: str
    pseudonym: str | None  # keyed HMAC of the email; None for a request by session id only
    pseudonym_key_id: str | None
    session_ids: tuple[str, ...]  # named by the request, then every session found for the person
    requested_at: datetime
    status: str = PENDING
    completed_at: datetime | None = None
    run_id: str | None = None  # the run that completed it
    found: dict = field(default_factory=dict)  # counts of what was found, for the health report

    def to_json(self) -> dict:
        data = asdict(self) | {"session_ids": list(self.session_ids), "requested_at": self.requested_at.isoformat()}
        return data | {"completed_at": self.completed_at.isoformat() if self.completed_at else None}

    @classmethod
    def from_json(cls, data: dict) -> ErasureRequest:
        completed = data.get("completed_at")
        return cls(
            **data
            | {
                "session_ids": tuple(data["session_ids"]),
                "requested_at": datetime.fromisoformat(data["requested_at"]),
                "completed_at": datetime.fromisoformat(completed) if completed else None,
            }
        )

    def completed(self, run_id: str | None, found: dict, now: datetime | None = None) -> ErasureRequest:
        return replace(self, status=COMPLETED, completed_at=now or datetime.now(UTC), run_id=run_id, found=found)


def new_request(
    store: Store,
    *,
    pseudonym: str | None = None,
    key_id: str | None = None,
    session_ids: tuple[str, ...] = (),
    now: datetime | None = None,
) -> ErasureRequest:
    """Records a request (pending) and returns it; refuses one that names nobody or a malformed session id."""
    if not pseudonym and not session_ids:
        raise BadRequest("an erasure request needs an email, a pseudonym or a session id")
    bad = [s for s in session_ids if parse_folder_name(s) is None]
    if bad:
        raise BadRequest(f"not a session id (session-<YYYY-MM-DDTHH-MM-SS-mmmZ>): {', '.join(bad)}")
    now = now or datetime.now(UTC)
    request_id = f"e{now:{_STAMP}}-{uuid.uuid4().hex[:8]}"
    request = ErasureRequest(request_id, pseudonym, key_id if pseudonym else None, tuple(sorted(session_ids)), now)
    write_request(store, request)
    return request


def write_request(store: Store, request: ErasureRequest) -> None:
    store.write_text(request_key(request.id), json.dumps(request.to_json(), indent=1, sort_keys=True))


def read_request(store: Store, request_id: str) -> ErasureRequest:
    if not store.exists(request_key(request_id)):
        raise BadRequest(f"no erasure request {request_id!r} under {REQUESTS}/ in {store.url}")
    return ErasureRequest.from_json(json.loads(store.read_text(request_key(request_id))))


def all_requests(store: Store) -> list[ErasureRequest]:
    """Every request, oldest first (ids start with their UTC time)."""
    names = sorted(n for n in store.children(REQUESTS) if n.endswith(".json"))
    return [read_request(store, n.removesuffix(".json")) for n in names]


def erasure_health(store: Store, shown: int = 50) -> dict:
    """For the health report: requests still pending (a run failed or was killed) and those completed."""
    requests = all_requests(store)
    done = [r for r in requests if r.status == COMPLETED]
    return {
        "completed": len(done),
        "pending": [r.id for r in requests if r.status == PENDING],
        "completed_requests": [
            {"id": r.id, "completed_at": r.completed_at.isoformat(), "sessions": r.found.get("sessions", 0)}
            for r in done[-shown:]
            if r.completed_at
        ],
    }
