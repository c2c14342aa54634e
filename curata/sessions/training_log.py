"""Audit of training-log.jsonl against the session folders: every line is consistent, pending or quarantined."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from curata import rules
from curata.lines import iter_lines
from curata.quarantine import quarantine_row, quarantine_table
from curata.rules import Violation
from curata.sessions.naming import parse_iso
from curata.sessions.tables import TRAINING_LOG_LINES
from curata.text import clean_text

LOG_RECORD = "training_log_line"


@dataclass(frozen=True)
class LogAudit:
    lines: pa.Table
    quarantined: pa.Table


def line_record_id(line_no: int) -> str:
    return f"training-log.jsonl:{line_no}"


def audit_training_log(
    log_path: Path,
    log_rel: str,
    accepted: Mapping[str, tuple[str, str]],
    known_folders: set[str],
) -> LogAudit:
    """`accepted` maps session id to (ISO timestamp, instruction); `known_folders` is every folder seen.

    A line whose folder exists but was quarantined or deferred is `pending`: nothing to compare yet.
    """
    statuses: list[dict] = []
    quarantine: list[dict] = []
    seen: set[str] = set()

    def refuse(line_no: int, session_id: str | None, rule: rules.Rule, detail: str) -> None:
        statuses.append({"line_no": line_no, "session_id": session_id, "status": "quarantined"})
        quarantine.append(
            quarantine_row(
                LOG_RECORD, line_record_id(line_no), "training_log", Violation(rule, f"{log_rel}:{line_no}", detail)
            )
        )

    for line in iter_lines(log_path):
        line_no = line.line_no
        entry = None if line.too_long else _parse_line(line.head)
        if entry is None:
            refuse(line_no, None, rules.LOG_MALFORMED, f"{line.length} bytes that are not a complete log entry")
            continue
        session_id, timestamp, instruction = entry
        if session_id in seen:
            refuse(line_no, session_id, rules.LOG_DUPLICATE, f"{session_id} logged again")
            continue
        seen.add(session_id)
        if session_id not in known_folders:
            refuse(line_no, session_id, rules.LOG_ORPHAN, f"no folder {session_id}")
            continue
        if session_id not in accepted:
            statuses.append({"line_no": line_no, "session_id": session_id, "status": "pending"})
            continue
        folder_ts, folder_instruction = accepted[session_id]
        if parse_iso(timestamp) != parse_iso(folder_ts):
            refuse(line_no, session_id, rules.LOG_DISAGREES, f"timestamp {timestamp} vs folder {folder_ts}")
        elif clean_text(instruction) != clean_text(folder_instruction):  # two spellings of one text agree
            refuse(line_no, session_id, rules.LOG_DISAGREES, "instruction differs from the folder's metadata")
        else:
            statuses.append({"line_no": line_no, "session_id": session_id, "status": "consistent"})
    return LogAudit(pa.Table.from_pylist(statuses, schema=TRAINING_LOG_LINES.schema), quarantine_table(quarantine))


def _parse_line(raw: bytes) -> tuple[str, str, str] | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(value, dict):
        return None
    fields = (value.get("sessionId"), value.get("timestamp"), value.get("instruction"))
    if not all(isinstance(f, str) for f in fields) or parse_iso(fields[1]) is None:
        return None
    return fields  # type: ignore[return-value]


def count_log_lines(log_path: Path) -> list[int]:
    """Numbers of the non-empty lines, for reconciling the audit's statuses against."""
    return [line.line_no for line in iter_lines(log_path)]
