"""Where erasure requests, their journals and audit entries, and the pseudonym key record live in the store."""

from __future__ import annotations

ERASURE = "erasure"  # the store prefix of everything below
REQUESTS = f"{ERASURE}/requests"
JOURNALS = f"{ERASURE}/journal"
AUDIT = f"{ERASURE}/audit"
WITHDRAWN = f"{ERASURE}/withdrawn"  # one record per export version taken down: why, and what replaced it
ROTATIONS = f"{ERASURE}/rotations"
KEY_RECORD = f"{ERASURE}/pseudonym-key.json"
INDEX_STATES = f"{ERASURE}/index"  # which session_people partitions each index holds, by version


def request_key(request_id: str) -> str:
    return f"{REQUESTS}/{request_id}.json"


def journal_key(request_id: str) -> str:
    return f"{JOURNALS}/{request_id}.json"


def journal_folder(request_id: str) -> str:
    """Files a step stages before it writes them where they belong (so a re-run writes the same)."""
    return f"{JOURNALS}/{request_id}"


def audit_key(request_id: str) -> str:
    return f"{AUDIT}/{request_id}.json"


def withdrawn_key(dataset: str, version: str) -> str:
    return f"{WITHDRAWN}/{dataset}/{version}.json"


def rotation_key(key_id: str) -> str:
    return f"{ROTATIONS}/{key_id}.json"


def rotation_mapping_key(key_id: str) -> str:
    return f"{ROTATIONS}/{key_id}/mapping.parquet"


def index_state_key(index: str) -> str:
    return f"{INDEX_STATES}/{index}.json"
