"""Validates one partition's folders in parallel and resolves repeated content across sessions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from curata import rules
from curata.privacy import PseudonymKey
from curata.progress import Progress
from curata.quality_tables import SESSION_IMAGE_QUALITY, quality_table
from curata.quarantine import quarantine_row, quarantine_table
from curata.rules import Violation
from curata.sessions.people import session_person
from curata.sessions.tables import DEFERRED_SESSIONS, SESSION_PEOPLE, VALIDATED_SESSIONS
from curata.sessions.tombstones import NO_TOMBSTONES, Tombstones
from curata.sessions.validate import DEFAULT_LIMITS, Limits, SessionOutcome, validate_session
from curata.warehouse import Warehouse

SESSION_RECORD = "session_folder"


@dataclass(frozen=True)
class PartitionResult:
    accepted: pa.Table
    quarantined: pa.Table
    deferred: pa.Table
    people: pa.Table = field(default_factory=SESSION_PEOPLE.empty)  # whose each validated folder is
    # Other days holding a session that one of this day's precedes: validated before this day was, they keep a
    # copy this day now quarantines; validating them again makes the outcome independent of the order of days.
    superseded_days: tuple[str, ...] = ()
    quality: pa.Table = field(default_factory=SESSION_IMAGE_QUALITY.empty)  # of the accepted folders' images


@dataclass(frozen=True)
class AcceptedSession:
    """An accepted session, with what decides which of two repeats is kept: its own time, then its name."""

    timestamp_ms: int
    session_id: str
    pair_key: str
    content_key: str
    partition: str

    @classmethod
    def of(cls, row: dict) -> AcceptedSession:
        ms = int(row["timestamp"].timestamp() * 1000)
        return cls(ms, row["session_id"], row["pair_key"], row["content_key"], row["partition_date"])

    @property
    def order(self) -> tuple[int, str]:
        return self.timestamp_ms, self.session_id


# The sessions accepted elsewhere that share any of these content or image-pair keys: the only ones that can
# make a session of this partition a repeat.
AcceptedLookup = Callable[[set[str]], Iterable[AcceptedSession]]
ACCEPTED_COLUMNS = ["timestamp", "session_id", "pair_key", "content_key", "partition_date"]


def nothing_elsewhere(keys: set[str]) -> list[AcceptedSession]:
    return []


def accepted_in(warehouse: Warehouse, partitions: list[str]) -> AcceptedLookup:
    """A lookup over stored partitions of validated_sessions that filters in Arrow: only the rows sharing a key
    become Python objects; what a day's run reads from the days before it is their key columns."""

    def lookup(keys: set[str]) -> list[AcceptedSession]:
        if not keys or not partitions:
            return []
        table = warehouse.read_all(VALIDATED_SESSIONS.name, partitions, ACCEPTED_COLUMNS)
        wanted = pa.array(sorted(keys), pa.string())
        shares = pc.or_(pc.is_in(table["pair_key"], value_set=wanted), pc.is_in(table["content_key"], value_set=wanted))
        return [AcceptedSession.of(row) for row in table.filter(shares).to_pylist()]

    return lookup


def validate_partition(
    sessions_dir: Path,
    folder_names: Sequence[str],
    partition: str,
    *,
    data_root: Path,
    key: PseudonymKey,
    accepted_elsewhere: AcceptedLookup,
    tombstones: Tombstones = NO_TOMBSTONES,
    limits: Limits = DEFAULT_LIMITS,
    now: float | None = None,
    workers: int = 4,
) -> PartitionResult:
    """Validates `folder_names` against the sessions accepted in other partitions and what was erased.

    Threads pay off because hashing, file reads and JPEG decoding release the GIL.
    """
    now = time.time() if now is None else now
    progress = Progress(f"validating sessions of {partition}", total=len(folder_names), unit="folders")

    def one(name: str) -> tuple[SessionOutcome, dict | None]:
        outcome = validate_session(sessions_dir / name, data_root=data_root, key=key, now=now, limits=limits)
        person = session_person(sessions_dir / name, outcome, partition, key, limits)
        progress.advance()
        return outcome, person

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        validated = list(pool.map(one, folder_names))
    progress.finish()
    outcomes = [outcome for outcome, _ in validated]
    people = [person for _, person in validated if person is not None]
    _quarantine_erased(outcomes, people, tombstones, sessions_dir, data_root)
    superseded = _quarantine_repeats(outcomes, accepted_elsewhere, sessions_dir, data_root)
    status = {o.folder: o.status for o in outcomes}

    accepted = [o for o in outcomes if o.status == "accepted"]
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
        accepted=VALIDATED_SESSIONS.from_rows([o.accepted for o in accepted]),
        quarantined=quarantine_table(quarantined),
        deferred=DEFERRED_SESSIONS.from_rows(deferred),
        people=SESSION_PEOPLE.from_rows([p | {"outcome": status[p["session_folder"]]} for p in people]),
        superseded_days=tuple(sorted(superseded - {partition})),
        quality=quality_table(SESSION_IMAGE_QUALITY, (image for o in accepted for image in o.images)),
    )


def _quarantine_erased(
    outcomes: list[SessionOutcome], people: list[dict], tombstones: Tombstones, sessions_dir: Path, data_root: Path
) -> None:
    """A session of an erased person, image or folder is refused with its own rule, whatever else is wrong."""
    if not tombstones:
        return
    by_folder = {o.folder: o for o in outcomes}
    for person in people:
        hashes = (person["original_sha256"], person["edited_sha256"])
        request = tombstones.match(person["session_folder"], person["user_pseudonym"], hashes)
        if request is not None:
            outcome = by_folder[person["session_folder"]]
            outcome.accepted = None
            detail = f"erased by request {request}; the folder came back after it"
            where = (sessions_dir / outcome.folder).relative_to(data_root).as_posix()
            outcome.violations.insert(0, Violation(rules.ERASED, where, detail))


def _quarantine_repeats(
    outcomes: list[SessionOutcome], accepted_elsewhere: AcceptedLookup, sessions_dir: Path, data_root: Path
) -> set[str]:
    """The earliest session (by its own timestamp, then name) of a content or an image pair is kept, wherever it is.

    A later copy with the same instruction is a duplicate; with another instruction, a conflict: one image
    pair would carry two labels. Either is quarantined naming the session it repeats. Returns the days of
    sessions accepted elsewhere that a session here precedes: those days hold a copy to quarantine.
    """
    mine = {o.folder: o for o in outcomes if o.accepted is not None}
    own = [AcceptedSession.of(o.accepted) for o in mine.values()]
    elsewhere = accepted_elsewhere({k for s in own for k in (s.pair_key, s.content_key)})
    candidates = sorted([*elsewhere, *own], key=lambda s: s.order)
    kept_content: dict[str, AcceptedSession] = {}
    kept_pair: dict[str, AcceptedSession] = {}
    superseded: set[str] = set()
    for session in candidates:
        earlier_same = kept_content.get(session.content_key)
        earlier_pair = kept_pair.get(session.pair_key)
        outcome = mine.get(session.session_id)
        if outcome is None and (earlier_same or earlier_pair):
            superseded.add(session.partition)
        if outcome is not None and (earlier_same or earlier_pair):
            rule = rules.DUPLICATE_CONTENT if earlier_same else rules.CONFLICTING_INSTRUCTION
            earlier = earlier_same or earlier_pair
            where = (sessions_dir / outcome.folder).relative_to(data_root).as_posix()
            outcome.accepted = None
            outcome.violations.append(Violation(rule, where, f"same images as {earlier.session_id}"))
            continue
        kept_content.setdefault(session.content_key, session)
        kept_pair.setdefault(session.pair_key, session)
    return superseded
