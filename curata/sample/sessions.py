"""Writes a realistic sessions folder with defects injected at known rates, plus its ground truth."""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from curata.layout import DataRoot
from curata.sample.scenes import STYLES, jpeg_bytes, render_house
from curata.sample.session_defects import SESSION_DEFECTS, SessionFiles
from curata.sessions.naming import folder_stamp, iso_stamp

START = datetime(2025, 1, 13, 8, 0, tzinfo=UTC)
USERS = [f"{name}@example.com" for name in ("ana", "ben", "chloe", "dev", "eli", "fay", "gus", "hana")]
PHRASES = [
    "make it {style} style",
    "turn this into a {style} home",
    "{style} look with a {color} front door",
    "reimagine as {style}, keep the trees",
    "give it a {style} facade and {color} trim",
]
COLORS = ["black", "red", "sage green", "navy", "white", "mustard"]
LOG_DEFECTS = ("malformed_line", "orphan_line", "disagreeing_line", "duplicate_line")


@dataclass
class SessionTruth:
    folder: str
    expected: str  # accepted | quarantined | deferred
    rule: str | None = None
    defect: str | None = None
    instruction: str | None = None  # the cleaned instruction an accepted session must carry, where planted


@dataclass
class GroundTruth:
    sessions: list[SessionTruth] = field(default_factory=list)
    training_log: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        by_rule: dict[str, int] = {}
        for s in self.sessions:
            if s.rule:
                by_rule[s.rule] = by_rule.get(s.rule, 0) + 1
        log_rules: dict[str, int] = {}
        for line in self.training_log:
            if line["rule"]:
                log_rules[line["rule"]] = log_rules.get(line["rule"], 0) + 1
        return {
            "sessions": len(self.sessions),
            "accepted": sum(s.expected == "accepted" for s in self.sessions),
            "quarantined": sum(s.expected == "quarantined" for s in self.sessions),
            "deferred": sum(s.expected == "deferred" for s in self.sessions),
            "quarantined_by_rule": dict(sorted(by_rule.items())),
            "training_log_lines": len(self.training_log),
            "training_log_quarantined_by_rule": dict(sorted(log_rules.items())),
        }


def _render_pair(args: tuple[int, tuple[int, int], str]) -> tuple[bytes, bytes]:
    seed, size, style = args
    return jpeg_bytes(render_house(seed, size)), jpeg_bytes(render_house(seed, size, style=style))


def generate_sessions(
    root: DataRoot,
    *,
    n_sessions: int = 60,
    days: int = 5,
    defect_rate: float = 0.35,
    seed: int = 7,
    image_size: tuple[int, int] = (1024, 768),
    workers: int | None = None,
) -> GroundTruth:
    """Writes `n_sessions` folders over `days` days; a `defect_rate` share carry one defect each.

    Defect kinds are dealt round-robin, so every kind appears once the defective count reaches the
    number of kinds. One extra copy of a clean session (duplicate content) and one folder still
    being written (deferred) are always added when defects are on.
    """
    rng = np.random.default_rng(seed)
    sessions_dir = root.sessions
    if sessions_dir.exists():
        shutil.rmtree(sessions_dir)
    sessions_dir.mkdir(parents=True)
    span = days * 24 * 3600
    offsets = np.sort(rng.choice(span * 1000, size=n_sessions, replace=False))
    stamps = [START + timedelta(milliseconds=int(o)) for o in offsets]
    styles = [s for s in STYLES if s != "original"]
    style_of = [styles[int(i)] for i in rng.integers(0, len(styles), n_sessions)]
    instructions = [
        PHRASES[int(rng.integers(len(PHRASES)))].format(style=style_of[i], color=COLORS[int(rng.integers(len(COLORS)))])
        for i in range(n_sessions)
    ]
    emails = [USERS[int(rng.integers(len(USERS)))] if rng.random() < 0.6 else "anonymous" for _ in range(n_sessions)]
    jobs = [(seed * 100_003 + i, image_size, style_of[i]) for i in range(n_sessions)]
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        pairs = list(pool.map(_render_pair, jobs, chunksize=8))

    truth = GroundTruth()
    files: list[SessionFiles] = []
    for i, ts in enumerate(stamps):
        files.append(write_session(sessions_dir, ts, instructions[i], emails[i], *pairs[i]))
        truth.sessions.append(SessionTruth(files[-1].folder.name, "accepted"))

    n_defective = int(round(n_sessions * defect_rate)) if defect_rate > 0 else 0
    defective = sorted(int(i) for i in rng.choice(n_sessions, size=min(n_defective, n_sessions), replace=False))
    kinds = list(SESSION_DEFECTS)
    for k, index in enumerate(defective):
        kind = kinds[k % len(kinds)]
        rule = SESSION_DEFECTS[kind](files[index])
        truth.sessions[index] = SessionTruth(files[index].folder.name, "quarantined", rule, kind)

    clean = [i for i in range(n_sessions) if i not in set(defective)]
    if defect_rate > 0 and len(clean) > 2 + len(LOG_DEFECTS):  # the first clean ones carry the repeats and log defects
        _plant_instructions(files, instructions, clean[-2:], truth)
    log_lines = [_log_line(stamps[i], instructions[i]) for i in range(n_sessions)]
    if defect_rate > 0 and clean:
        source = clean[0]
        original, edited = files[source].original.read_bytes(), files[source].edited.read_bytes()
        repeats = (
            (7, instructions[source], "session.duplicate_content", "duplicate_content"),
            (9, instructions[source] + " and paint the fence", "session.conflicting_instruction", "conflict"),
        )
        for minutes, instruction, rule, defect in repeats:  # the same two images again, later
            ts = stamps[-1] + timedelta(minutes=minutes)
            repeat = write_session(sessions_dir, ts, instruction, emails[source], original, edited)
            truth.sessions.append(SessionTruth(repeat.folder.name, "quarantined", rule, defect))
            log_lines.append(_log_line(ts, instruction))
            files.append(repeat)
            stamps.append(ts)

    for s in files:
        backdate(s.folder, stamps[files.index(s)])
    if defect_rate > 0:
        ts = stamps[-1] + timedelta(minutes=30)
        pending = write_session(sessions_dir, ts, instructions[0], "anonymous", *pairs[0][::-1])
        pending.edited.unlink()  # the app has not written the result yet; mtimes are "now"
        truth.sessions.append(SessionTruth(pending.folder.name, "deferred", None, "in_progress"))
        log_lines.append(None)  # the app logs a session only once it is complete
        _add_hostile_folders(sessions_dir, stamps[-1], truth, log_lines, instructions[1], pairs[1])

    truth.training_log = _write_training_log(root, truth, log_lines, clean, rng if defect_rate > 0 else None)
    root.ground_truth.mkdir(parents=True, exist_ok=True)
    (root.ground_truth / "sessions.json").write_text(
        json.dumps(
            {
                "sessions": [s.__dict__ for s in truth.sessions],
                "training_log": truth.training_log,
                "summary": truth.summary(),
            },
            indent=2,
        )
    )
    return truth


def _plant_instructions(files: list[SessionFiles], instructions: list[str], at: list[int], truth: GroundTruth) -> None:
    """A placeholder instruction (quarantined) and a messy one (accepted, cleaned); the log holds them as typed."""
    placeholder, messy = at
    instructions[placeholder] = "Test"
    expected = f"{instructions[messy]} with a caf\u00e9 terrace"  # NFC: one code point for é
    instructions[messy] = "\t" + instructions[messy].replace(" ", " \u00a0\n ", 1) + " with a cafe\u0301 terrace  "
    for i in at:
        files[i].write_meta({**files[i].meta(), "instruction": instructions[i]})
    folder = files[placeholder].folder.name
    truth.sessions[placeholder] = SessionTruth(
        folder, "quarantined", "session.instruction_placeholder", "instruction_placeholder"
    )
    truth.sessions[messy] = SessionTruth(files[messy].folder.name, "accepted", None, "instruction_messy", expected)


def _add_hostile_folders(
    sessions_dir: Path, last: datetime, truth: GroundTruth, log_lines: list, instruction: str, pair: tuple
) -> None:
    """A complete folder whose clock ran ahead (deferred, named as clock skew), a symlink loop and a link out of the
    data root (both quarantined)."""
    ahead = write_session(sessions_dir, last + timedelta(minutes=40), instruction, "anonymous", *pair)
    future = time.time() + 3 * 365 * 86400
    for entry in [*ahead.folder.iterdir(), ahead.folder]:
        os.utime(entry, (future, future))
    truth.sessions.append(SessionTruth(ahead.folder.name, "deferred", None, "clock_skew"))
    log_lines.append(None)
    loop = sessions_dir / f"session-{folder_stamp(last + timedelta(minutes=50))}"
    os.symlink(loop.name, loop)  # a link to itself
    truth.sessions.append(SessionTruth(loop.name, "quarantined", "session.folder_is_link", "symlink_loop"))
    log_lines.append(None)
    away = sessions_dir / f"session-{folder_stamp(last + timedelta(minutes=55))}"
    os.symlink(sessions_dir.parent.resolve().parent, away)  # the folder holding the data root: never read
    truth.sessions.append(SessionTruth(away.name, "quarantined", "input.link_outside_root", "folder_link_out"))
    log_lines.append(None)


def write_session(
    sessions_dir: Path, ts: datetime, instruction: str, email: str, original: bytes, edited: bytes
) -> SessionFiles:
    """Writes one complete session folder exactly as the generation app does."""
    stamp = folder_stamp(ts)
    folder = sessions_dir / f"session-{stamp}"
    folder.mkdir()
    files = SessionFiles(folder, stamp)
    files.original.write_bytes(original)
    files.edited.write_bytes(edited)
    files.write_meta(
        {
            "timestamp": iso_stamp(ts),
            "instruction": instruction,
            "userEmail": email,
            "originalFilename": files.original.name,
            "reimaginedFilename": files.edited.name,
            "originalSize": len(original),
            "reimaginedSize": len(edited),
            "sessionId": folder.name,
        }
    )
    return files


def backdate(folder: Path, ts: datetime) -> None:
    """The app wrote each folder at its session time; make the mtimes say so."""
    when = ts.timestamp()
    for entry in folder.iterdir():
        os.utime(entry, (when, when), follow_symlinks=False)
    os.utime(folder, (when, when))


def _log_line(ts: datetime, instruction: str) -> dict:
    return {"timestamp": iso_stamp(ts), "instruction": instruction, "sessionId": f"session-{folder_stamp(ts)}"}


def _write_training_log(
    root: DataRoot, truth: GroundTruth, lines: list[dict | None], clean: list[int], rng: np.random.Generator | None
) -> list[dict]:
    """One line per complete session, in the app's format, with the log defects at known places."""
    out: list[tuple[str, str, str | None]] = []  # (text, expected status, rule)
    defect_targets = clean[1 : 1 + len(LOG_DEFECTS)] if rng is not None else []
    for i, line in enumerate(lines):
        if line is None:
            continue
        session = truth.sessions[i]
        if i in defect_targets and LOG_DEFECTS[defect_targets.index(i)] == "disagreeing_line":
            line = {**line, "instruction": line["instruction"] + " (edited later)"}
            out.append((json.dumps(line), "quarantined", "training_log.disagrees_with_folder"))
            continue
        if session.defect == "folder_name":
            status, rule = "quarantined", "training_log.no_session_folder"
        elif session.expected == "accepted":
            status, rule = "consistent", None
        else:
            status, rule = "pending", None
        out.append((json.dumps(line), status, rule))
        if i in defect_targets and LOG_DEFECTS[defect_targets.index(i)] == "duplicate_line":
            out.append((json.dumps(line), "quarantined", "training_log.duplicate_line"))
    if rng is not None:
        ghost = _log_line(START - timedelta(days=1), "make it craftsman style")
        out.insert(len(out) // 2, (json.dumps(ghost), "quarantined", "training_log.no_session_folder"))
        out.insert(len(out) // 3, ('{"timestamp": "2025-01-14T', "quarantined", "training_log.malformed_line"))
        out.append(
            (
                '{"timestamp":"2025-01-17T09:00:00.000Z","instruction":"make it mod',
                "quarantined",
                "training_log.malformed_line",
            )
        )  # the app crashed mid-write
    text = "\n".join(t for t, _, _ in out)
    root.training_log.write_text(text)  # no final newline: the partial last line stays partial
    return [{"line_no": n, "expected": status, "rule": rule} for n, (_, status, rule) in enumerate(out, start=1)]
