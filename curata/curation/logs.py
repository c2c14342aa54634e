"""Validates a whole curation log: every row accepted or quarantined, nothing skipped."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from curata import rules
from curata.curation.crops import validate_crop
from curata.curation.paths import PathResolver
from curata.curation.selections import validate_selection
from curata.curation.tables import VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.lines import RawLine, iter_lines
from curata.progress import Progress
from curata.quarantine import quarantine_row, quarantine_table
from curata.rules import Refused, Violation

BATCH_ROWS = 4096
SELECTION_LOG = "selection_only_log.csv"
CROP_LOG = "select_crop_log.csv"
Validator = Callable[[list[str], str, str, PathResolver], dict]
LOGS: dict[str, tuple[Validator, pa.Schema, str]] = {
    SELECTION_LOG: (validate_selection, VALIDATED_SELECTIONS.schema, "selection_row"),
    CROP_LOG: (validate_crop, VALIDATED_CROPS.schema, "crop_row"),
}


@dataclass(frozen=True)
class LogResult:
    accepted: pa.Table
    quarantined: pa.Table


def fields_of(line: RawLine) -> list[str] | None:
    """CSV fields of one physical line; None if it is not UTF-8 or not CSV."""
    try:
        return next(csv.reader([line.head.decode("utf-8").rstrip("\r\n")]), [])
    except (UnicodeDecodeError, csv.Error):
        return None


# Written by CurationLogger after a line that a crashed writer left without a line end: the line
# above it stays on disk (nothing is destroyed) and is quarantined as truncated.
TRUNCATION_MARKER = "#curata: the line above was cut off by a crashed writer"


def is_header(fields: list[str] | None) -> bool:
    """A header line (the first, or one a restarted tool wrote again) or a marker is not a record."""
    return bool(fields) and (fields[0].strip().lower() == "timestamp" or fields[0].startswith("#curata:"))


def _with_lookahead(log_path: Path) -> Iterator[tuple[RawLine, bool]]:
    """Each line, and whether the next one is the truncation marker."""
    previous = None
    for line in iter_lines(log_path):
        if previous is not None:
            yield previous, line.head.startswith(TRUNCATION_MARKER.encode())
        previous = line
    if previous is not None:
        yield previous, False


def record_ids(log_path: Path, log_name: str) -> list[str]:
    """Every record of the log, counted independently of validation so that the two reconcile."""
    return [f"{log_name}:{line.line_no}" for line in iter_lines(log_path) if not is_header(fields_of(line))]


def validate_log(log_path: Path, log_rel: str, resolver: PathResolver) -> LogResult:
    log_name = log_path.name
    validator, schema, record_kind = LOGS[log_name]
    batches: list[pa.RecordBatch] = []
    accepted: list[dict] = []
    quarantined: list[dict] = []
    progress = Progress(f"validating {log_name}", unit="rows")
    for line, cut_off in _with_lookahead(log_path):
        progress.advance()
        fields = fields_of(line)
        if is_header(fields):
            continue
        record_id = f"{log_name}:{line.line_no}"
        where = f"{log_rel}:{line.line_no}"
        try:
            if not line.terminated or cut_off:
                raise Refused(rules.ROW_TRUNCATED, where, f"line of {line.length} bytes was never finished")
            if line.too_long or fields is None:
                raise Refused(rules.ROW_MALFORMED, where, f"{line.length} bytes, not a UTF-8 CSV row of known size")
            accepted.append(validator(fields, record_id, where, resolver))
            if len(accepted) >= BATCH_ROWS:  # columnar as we go: bounded memory, little for the GC to walk
                batches.append(pa.RecordBatch.from_pylist(accepted, schema=schema))
                accepted = []
        except Refused as refused:
            quarantined.append(quarantine_row(record_kind, record_id, log_name, refused.violation))
        except (ValueError, OSError) as exc:  # a field no rule foresaw: still one row, never the batch
            violation = Violation(rules.ROW_MALFORMED, where, f"{type(exc).__name__}: {exc}")
            quarantined.append(quarantine_row(record_kind, record_id, log_name, violation))
    batches.append(pa.RecordBatch.from_pylist(accepted, schema=schema))
    progress.finish()
    return LogResult(pa.Table.from_batches(batches, schema=schema), quarantine_table(quarantined))
