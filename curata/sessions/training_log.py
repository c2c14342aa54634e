"""Audit of training-log.jsonl against the session folders: every line is consistent, pending or quarantined."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from curata import rules
from curata.quarantine import quarantine_row, quarantine_table
from curata.rules import Violation
from curata.sessions.naming import parse_iso

LOG_RECORD = "training_log_line"
MAX_LINE_BYTES = 64 * 1024

LOG_LINES_SCHEMA = pa.schema(
    [
        ("line_no", pa.int64()),
        ("session_id", pa.string()),
        ("status", pa.string()),  # consistent | pending | quarantined
    ]
)


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

    if not log_path.is_file():
        return LogAudit(pa.Table.from_pylist([], schema=LOG_LINES_SCHEMA), quarantine_table([]))
    with open(log_path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            entry = _parse_line(raw)
            if entry is None:
                refuse(line_no, None, rules.LOG_MALFORMED, f"{len(raw)} bytes that are not a complete log entry")
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
            elif instruction.strip() != folder_instruction.strip():
                refuse(line_no, session_id, rules.LOG_DISAGREES, "instruction differs from the folder's metadata")
            else:
                statuses.append({"line_no": line_no, "session_id": session_id, "status": "consistent"})
    return LogAudit(pa.Table.from_pylist(statuses, schema=LOG_LINES_SCHEMA), quarantine_table(quarantine))


def _parse_line(raw: bytes) -> tuple[str, str, str] | None:
    if len(raw) > MAX_LINE_BYTES:
        return None
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
    """Numbers of the non-empty lines, read independently of the audit so the two can be reconciled."""
    if not log_path.is_file():
        return []
    with open(log_path, "rb") as handle:
        return [n for n, raw in enumerate(handle, start=1) if raw.strip()]
