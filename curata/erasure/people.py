"""Backfill of `session_people` for days ingested before it existed: what an erasure request finds people by."""

from __future__ import annotations

from pathlib import Path

from curata.privacy import PseudonymKey
from curata.sessions.people import IMAGE_FIELDS, read_person
from curata.sessions.tables import RAW_SESSIONS, SESSION_PEOPLE, SESSION_QUARANTINE, VALIDATED_SESSIONS
from curata.sessions.validate import Limits
from curata.warehouse import Warehouse


def fill_missing_people(warehouse: Warehouse, sessions_dir: Path, key: PseudonymKey, limits: Limits) -> list[str]:
    """Writes `session_people` for days ingested before it existed, from their tables and hot folders.

    An accepted row carries its pseudonym and hashes; a quarantined folder is read again if it is still on
    disk (a quarantined folder of an archived day stays unknown). Returns the days written.
    """
    missing = sorted(set(warehouse.partitions(RAW_SESSIONS.name)) - set(warehouse.partitions(SESSION_PEOPLE.name)))
    taken = ["session_folder", "user_pseudonym", "pseudonym_key_id", *IMAGE_FIELDS]
    for day in missing:
        accepted = warehouse.read_all(VALIDATED_SESSIONS.name, _stored(warehouse, VALIDATED_SESSIONS.name, day))
        rows = [r | {"partition_date": day, "outcome": "accepted"} for r in accepted.select(taken).to_pylist()]
        refused = warehouse.read_all(SESSION_QUARANTINE.name, _stored(warehouse, SESSION_QUARANTINE.name, day))
        for folder in refused.column("record_id").to_pylist():
            person = read_person(sessions_dir / folder, key, limits)
            rows.append({"session_folder": folder, "partition_date": day, "outcome": "quarantined", **person})
        warehouse.write(SESSION_PEOPLE.name, SESSION_PEOPLE.from_rows(rows), day)
    return missing


def _stored(warehouse: Warehouse, table: str, day: str) -> list[str]:
    return [day] if warehouse.exists(table, day) else []
