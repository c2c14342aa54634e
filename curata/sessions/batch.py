"""Validates one partition's folders in parallel and resolves duplicate content across sessions."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from curata import rules
from curata.quarantine import quarantine_row, quarantine_table
from curata.rules import Violation
from curata.sessions.tables import DEFERRED_SESSIONS_SCHEMA, VALIDATED_SESSIONS_SCHEMA
from curata.sessions.validate import DEFAULT_LIMITS, Limits, SessionOutcome, validate_session

SESSION_RECORD = "session_folder"


@dataclass(frozen=True)
class PartitionResult:
    accepted: pa.Table
    quarantined: pa.Table
    deferred: pa.Table


@dataclass(frozen=True)
class EarlierSession:
    """An accepted session elsewhere, in the order that decides which copy of a duplicate is kept."""

    timestamp_ms: int
    session_id: str


def validate_partition(
    sessions_dir: Path,
    folder_names: Sequence[str],
    partition: str,
    *,
    data_root: Path,
    pseudonym_key: bytes,
    accepted_elsewhere: Mapping[str, EarlierSession],
    limits: Limits = DEFAULT_LIMITS,
    now: float | None = None,
    workers: int = 4,
) -> PartitionResult:
    """Validates `folder_names`; `accepted_elsewhere` maps content keys accepted in other partitions.

    Threads pay off because hashing, file reads and JPEG decoding release the GIL.
    """
    now = time.time() if now is None else now

    def one(name: str) -> SessionOutcome:
        return validate_session(
            sessions_dir / name, data_root=data_root, pseudonym_key=pseudonym_key, now=now, limits=limits
        )

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes = list(pool.map(one, folder_names))
    _quarantine_duplicates(outcomes, accepted_elsewhere, sessions_dir, data_root)

    accepted = [o.accepted for o in outcomes if o.status == "accepted"]
    quarantined = [
        quarantine_row(SESSION_RECORD, o.folder, partition, o.violations[0])
        for o in outcomes
        if o.status == "quarantined"
    ]
    deferred = [
        {"session_folder": o.folder, "partition_date": partition, "reason": o.deferred_reason}
        for o in outcomes
        if o.status == "deferred"
    ]
    return PartitionResult(
        accepted=pa.Table.from_pylist(accepted, schema=VALIDATED_SESSIONS_SCHEMA),
        quarantined=quarantine_table(quarantined),
        deferred=pa.Table.from_pylist(deferred, schema=DEFERRED_SESSIONS_SCHEMA),
    )


def _quarantine_duplicates(
    outcomes: list[SessionOutcome],
    accepted_elsewhere: Mapping[str, EarlierSession],
    sessions_dir: Path,
    data_root: Path,
) -> None:
    """Keeps the earliest copy of each content key; later copies are quarantined naming the kept one."""
    kept: dict[str, EarlierSession] = dict(accepted_elsewhere)
    ordered = sorted(
        (o for o in outcomes if o.accepted is not None),
        key=lambda o: (o.accepted["timestamp"], o.accepted["session_id"]),
    )
    for outcome in ordered:
        record = outcome.accepted
        me = EarlierSession(int(record["timestamp"].timestamp() * 1000), record["session_id"])
        earlier = kept.get(record["content_key"])
        if earlier is not None and (earlier.timestamp_ms, earlier.session_id) < (me.timestamp_ms, me.session_id):
            outcome.accepted = None
            outcome.violations.append(
                Violation(
                    rules.DUPLICATE_CONTENT,
                    (sessions_dir / outcome.folder).relative_to(data_root).as_posix(),
                    f"same content as {earlier.session_id}",
                )
            )
        else:
            kept[record["content_key"]] = me
