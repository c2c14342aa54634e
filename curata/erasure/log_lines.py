"""The app's `training-log.jsonl` without a person's lines, and the audit tables renumbered to match.

The log is an input that the app appends to, so it is rewritten atomically and only if what the plan read
is still its beginning; lines appended since are kept (less any of the person's). Line numbers are physical
(blank lines count), so every audited line after a removed one moves up: the plan says which lines go, and
the audit tables are renumbered from it rather than audited again from every partition.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curata.atomic import atomic_path
from curata.sessions.training_log import line_record_id

_CHUNK = 1 << 24


class LogChanged(RuntimeError):
    """The log no longer starts with what the plan read: plan again."""


@dataclass(frozen=True)
class LogPlan:
    removed: list[int]  # physical line numbers (1-based) of the person's lines
    size: int  # bytes of the log the plan read
    sha256: str  # of those bytes

    def to_json(self) -> dict:
        return {"removed": self.removed, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: dict) -> LogPlan:
        return cls(data["removed"], data["size"], data["sha256"])


def plan_log(path: Path, folders: Iterable[str]) -> LogPlan:
    """Which lines name one of the folders (a line is the person's if it names their session anywhere)."""
    needles = [f.encode() for f in sorted(set(folders))]
    if not path.is_file() or path.stat().st_size == 0:
        return LogPlan([], 0, hashlib.sha256(b"").hexdigest())
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        spans = _line_spans(data, needles, 0, len(data))
        numbers, counted, at = [], 1, 0
        for start, _ in spans:
            counted += _count_newlines(data, at, start)
            numbers.append(counted)
            at = start
        return LogPlan(numbers, len(data), hashlib.sha256(data).hexdigest())


def rewrite_log(path: Path, plan: LogPlan, folders: Iterable[str]) -> int:
    """Writes the log without the plan's lines (and the person's lines appended since); returns lines removed."""
    needles = [f.encode() for f in sorted(set(folders))]
    if not plan.removed or not path.is_file():
        return 0
    with open(path, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a writer that locks waits; one that does not is checked below
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if hashlib.sha256(data[: plan.size]).hexdigest() != plan.sha256:
                if not _line_spans(data, needles, 0, len(data)):
                    return 0  # rewritten already, by a run that was stopped before it could say so
                raise LogChanged(f"{path.name} changed since its lines were planned; planning again")
            spans = _line_spans(data, needles, 0, len(data))
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as out:
                    _write_without(data, spans, out)
                    grown = os.fstat(handle.fileno()).st_size
                    if grown != len(data):
                        raise LogChanged(f"{path.name} grew while it was rewritten; planning again")
    return len(spans)


def renumber(lines: pa.Table, quarantine: pa.Table, removed: list[int], log_file: str) -> tuple[pa.Table, pa.Table]:
    """The audit tables without the removed lines, every later line moved up by the lines removed before it."""
    gone = np.array(sorted(removed), dtype=np.int64)

    def moved(numbers: np.ndarray) -> np.ndarray:
        return numbers - np.searchsorted(gone, numbers, side="left")

    kept_lines = lines.filter(pc.invert(pc.is_in(lines.column("line_no"), pa.array(gone))))
    new_numbers = moved(kept_lines.column("line_no").to_numpy())
    at = kept_lines.schema.get_field_index("line_no")
    kept_lines = kept_lines.set_column(at, "line_no", pa.array(new_numbers, pa.int64()))
    old = np.array([int(r.rsplit(":", 1)[1]) for r in quarantine.column("record_id").to_pylist()], dtype=np.int64)
    keep = ~np.isin(old, gone)
    kept_q = quarantine.filter(pa.array(keep))
    shifted = moved(old[keep])
    kept_q = kept_q.set_column(
        kept_q.schema.get_field_index("record_id"), "record_id", pa.array([line_record_id(int(n)) for n in shifted])
    )
    files = pa.array([f"{log_file}:{int(n)}" for n in shifted], pa.string())
    kept_q = kept_q.set_column(kept_q.schema.get_field_index("file"), "file", files)
    return kept_lines.cast(lines.schema), kept_q.cast(quarantine.schema)


def _line_spans(data: mmap.mmap, needles: list[bytes], start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of every line holding a needle, end past its newline, in order."""
    starts = set()
    for needle in needles:
        at = data.find(needle, start, end)
        while at != -1:
            starts.add(data.rfind(b"\n", 0, at) + 1)
            at = data.find(needle, at + 1, end)
    spans = []
    for s in sorted(starts):
        newline = data.find(b"\n", s)
        spans.append((s, len(data) if newline == -1 else newline + 1))
    return spans


def _count_newlines(data: mmap.mmap, start: int, end: int) -> int:
    return sum(data[i : min(i + _CHUNK, end)].count(b"\n") for i in range(start, end, _CHUNK))


def _write_without(data: mmap.mmap, spans: list[tuple[int, int]], out: BinaryIO) -> None:
    at = 0
    for start, end in [*spans, (len(data), len(data))]:
        for i in range(at, start, _CHUNK):
            out.write(data[i : min(i + _CHUNK, start)])
        at = end
