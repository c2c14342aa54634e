"""Which days gained settled session folders: the sensor's logic, without Dagster.

A tick must stay cheap at a million folders, so it never stats a folder it has seen settled:
it lists the names (one `listdir`), groups them by the day in the name and compares each group's
digest (a sum of 64-bit name hashes, independent of listing order) with the digest of the names
it found settled last time. Only groups that differ are examined, every file of their folders
statted. Names without a day form one more group, placed by `assign_partition` when examined.
The state is one digest per day, and when every group was settled the sessions folder's own
mtime lets the next tick skip even the listing until an entry is added, removed or renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from curata.sessions.inventory import (
    NAME_BYTES,
    RawSessionFolder,
    day_number,
    day_text,
    is_record_name,
    name_days,
    newest_mtime_and_size,
)
from curata.sessions.naming import assign_partition
from curata.sessions.validate import Limits, settle_reason

UNNAMED = "unnamed"  # the group of entries whose name carries no day
EXAMINE_PER_TICK = 20_000  # folders statted per tick at most (about 0.5 s); a larger backlog continues next tick
RACY_NS = 2_000_000_000  # a folder mtime this recent may still change within the same clock tick
_MASK = (1 << 64) - 1


# -- state ----------------------------------------------------------------------------------------------------
@dataclass
class SettledDays:
    """What earlier ticks found settled: a digest per listing group, and per day for the unnamed group."""

    seen: dict[str, int] = field(default_factory=dict)  # group -> digest of its entries settled or not folders
    unnamed: dict[str, int] = field(default_factory=dict)  # day -> digest of the unnamed folders placed in it
    listing_mtime_ns: int | None = None  # the sessions folder's mtime when every group was last settled

    def day_digests(self) -> dict[str, int]:
        days = {group: digest for group, digest in self.seen.items() if group != UNNAMED}
        for day, digest in self.unnamed.items():
            days[day] = (days.get(day, 0) + digest) & _MASK
        return days

    def to_dict(self) -> dict:
        return {
            "seen": {g: f"{d:016x}" for g, d in sorted(self.seen.items())},
            "unnamed": {day: f"{d:016x}" for day, d in sorted(self.unnamed.items())},
            "listing_mtime_ns": self.listing_mtime_ns,
        }

    @classmethod
    def from_dict(cls, data: dict) -> SettledDays:
        return cls(
            seen={g: int(d, 16) for g, d in data.get("seen", {}).items()},
            unnamed={day: int(d, 16) for day, d in data.get("unnamed", {}).items()},
            listing_mtime_ns=data.get("listing_mtime_ns"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SettledDays:
        return cls.from_dict(json.loads(text))


def changed_days(previous: SettledDays, current: SettledDays) -> dict[str, str]:
    """Days that still hold settled folders and whose set of them changed: day -> fingerprint."""
    before = previous.day_digests()
    return {
        day: f"{digest:016x}"
        for day, digest in sorted(current.day_digests().items())
        if digest and before.get(day) != digest
    }


# -- the listing, grouped by day -----------------------------------------------------------------------------
def _hashes(rows: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of bytes (the well-formed names, all NAME_BYTES long), vectorized."""
    words = np.ascontiguousarray(rows).view(np.uint64)
    h = np.full(len(rows), 0xCBF29CE484222325, dtype=np.uint64)
    for k in range(words.shape[1]):
        h = (h ^ words[:, k]) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(31)
    return h


def _unnamed_hash(name: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "little")


@dataclass
class _Listing:
    """The listed names: those with a day in them (with hash and day), and the unnamed ones apart."""

    named: np.ndarray  # fixed-width bytes; `named[i]` is the name
    hashes: np.ndarray
    days: np.ndarray  # yyyymmdd
    digests: dict[str, int]  # day -> sum of its names' hashes
    sizes: dict[str, int]  # day -> names
    unnamed: list[bytes]

    def digest(self, group: str) -> int:
        if group == UNNAMED:
            return sum(_unnamed_hash(n) for n in self.unnamed) & _MASK
        return self.digests[group]

    def members(self, day: str) -> np.ndarray:
        return np.flatnonzero(self.days == day_number(day))

    def size(self, group: str) -> int:
        return len(self.unnamed) if group == UNNAMED else self.sizes[group]


def _list(sessions_dir: Path) -> _Listing:
    """One `listdir`, then numpy: no per-name Python work for the well-formed names."""
    names = os.listdir(os.fsencode(sessions_dir))
    table = np.array(names, dtype=f"S{NAME_BYTES + 1}")
    days = name_days(table)
    named_at = np.flatnonzero(days >= 0)
    named, named_days = table[named_at], days[named_at]
    hashes = _hashes(named.view(np.uint8).reshape(len(named), NAME_BYTES + 1)[:, :NAME_BYTES])
    # Sum the hashes per day without sorting: days as ordinals into a small dense range.
    ordinal = named_days // 10000 * 372 + named_days // 100 % 100 * 31 + named_days % 100
    first = int(ordinal.min()) if len(ordinal) else 0
    sums = np.zeros(int(ordinal.max()) - first + 1 if len(ordinal) else 0, dtype=np.uint64)
    np.add.at(sums, ordinal - first, hashes)
    counts = np.bincount(ordinal - first, minlength=len(sums))
    day_at = np.zeros(len(sums), dtype=np.int64)
    day_at[ordinal - first] = named_days
    at = np.flatnonzero(counts)
    digests = {day_text(int(day_at[i])): int(sums[i]) for i in at}
    sizes = {day_text(int(day_at[i])): int(counts[i]) for i in at}
    unnamed = [names[i] for i in np.flatnonzero(days < 0)]
    return _Listing(named, hashes, named_days, digests, sizes, unnamed)


# -- one tick ---------------------------------------------------------------------------------------------------
@dataclass
class ArrivalScan:
    state: SettledDays
    listed: int = 0  # names listed (0 when the sessions folder's mtime showed nothing changed)
    examined: int = 0  # folders statted
    waiting: int = 0  # folders examined and not settled yet
    clock_skew: list[str] = field(default_factory=list)  # folders modified in the future
    deferred_groups: int = 0  # changed groups left for the next tick by the budget


@dataclass
class _Examiner:
    sessions_dir: Path
    limits: Limits
    now: float
    scan: ArrivalScan

    def settled(self, name: bytes) -> bool | None:
        """True when a settled session folder, None when not a session folder (nothing to wait for)."""
        path = self.sessions_dir / os.fsdecode(name)
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:  # removed since the listing: the next listing no longer has it
            return None
        if not is_record_name(name) or not (stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            return None
        self.scan.examined += 1
        newest, _, _ = newest_mtime_and_size(path)
        if newest > self.now:
            self.scan.clock_skew.append(path.name)
        if settle_reason(self.now - newest, self.limits.settle_seconds) is None:
            return True
        self.scan.waiting += 1
        return False

    def day_of(self, name: bytes) -> str:
        return assign_partition(self.sessions_dir / os.fsdecode(name), self.limits.max_metadata_bytes).day.isoformat()

    def named_group(self, listing: _Listing, group: str) -> int:
        at = listing.members(group)
        done = np.array([self.settled(listing.named[i]) is not False for i in at], dtype=bool)
        return int(listing.hashes[at[done]].sum(dtype=np.uint64))

    def unnamed_group(self, listing: _Listing, state: SettledDays) -> int:
        """Digest of the unnamed entries that are done; places each settled folder in its day."""
        digest = 0
        state.unnamed = {}
        for name in listing.unnamed:
            settled = self.settled(name)
            if settled is False:
                continue
            h = _unnamed_hash(name)
            digest = (digest + h) & _MASK
            if settled:
                day = self.day_of(name)
                state.unnamed[day] = (state.unnamed.get(day, 0) + h) & _MASK
        return digest


def scan_arrivals(
    sessions_dir: Path,
    previous: SettledDays,
    limits: Limits,
    now: float | None = None,
    max_examined: int | None = EXAMINE_PER_TICK,
) -> ArrivalScan:
    """The new state after one look at `sessions_dir`; `changed_days(previous, scan.state)` says what to run.

    `limits` say when a folder is settled and how large a metadata file may be that places a folder in its day.

    Examines changed groups newest day first (the unnamed group before them), at least one per tick.
    """
    now = time.time() if now is None else now
    listing_mtime_ns = os.stat(sessions_dir).st_mtime_ns
    if previous.listing_mtime_ns is not None and previous.listing_mtime_ns == listing_mtime_ns:
        return ArrivalScan(previous)
    listing = _list(sessions_dir)
    state = SettledDays(seen=dict(previous.seen), unnamed=dict(previous.unnamed))
    scan = ArrivalScan(state, listed=len(listing.named) + len(listing.unnamed))
    examiner = _Examiner(sessions_dir, limits, now, scan)
    present = set(listing.digests) | ({UNNAMED} if listing.unnamed else set())
    for gone in set(previous.seen) - present:
        del state.seen[gone]
        if gone == UNNAMED:
            state.unnamed = {}
    changed = {g for g in present if listing.digest(g) != previous.seen.get(g)}
    ordered = sorted(changed - {UNNAMED}, reverse=True)  # newest day first: fresh arrivals before a backlog
    examined_groups = 0
    for group in ([UNNAMED] if UNNAMED in changed else []) + ordered:
        if max_examined is not None and examined_groups and scan.examined + listing.size(group) > max_examined:
            scan.deferred_groups += 1
            continue
        if group == UNNAMED:
            state.seen[group] = examiner.unnamed_group(listing, state)
        else:
            state.seen[group] = examiner.named_group(listing, group)
        examined_groups += 1
    if not scan.waiting and not scan.deferred_groups and time.time_ns() - listing_mtime_ns > RACY_NS:
        state.listing_mtime_ns = listing_mtime_ns
    return scan


# -- what the sensor leaves to the nightly check ----------------------------------------------------------------
def changed_since_ingested(on_disk: Iterable[RawSessionFolder], ingested_mtimes: Mapping[str, float]) -> list[str]:
    """Folders changed after their day was ingested: their newest mtime differs from the one `raw_sessions` kept.

    The sensor does not stat a folder it has seen settled, so a file added to one or rewritten in it later is
    found here, by the nightly check that lists every folder anyway; folders never ingested are not listed.
    """
    return sorted(f.name for f in on_disk if f.name in ingested_mtimes and f.newest_mtime != ingested_mtimes[f.name])
