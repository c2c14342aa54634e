"""Quarantine rows: one per refused record, with the rule, the file, the detail and a hint."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa

from curata.rules import RULES, Violation
from curata.tables import Role, TableSpec, col, with_role

QUARANTINE_COLUMNS = (
    col("record_kind", pa.string(), "what kind of record was refused (`session_folder`, `crop_row`, ...)"),
    col("record_id", pa.string(), "the record's id: folder name, `<log>:<line>`, file path, ..."),
    col("partition", pa.string(), "the partition (day, project, log file) the record belongs to"),
    col("rule_id", pa.string(), "stable rule id (`curata/rules.py`)"),
    col("file", pa.string(), "the file that broke the rule, relative to the data root (for log lines `path:line`)"),
    col("detail", pa.string(), "what exactly is wrong (never an email in clear)"),
    col("hint", pa.string(), "how to fix it"),
)
QUARANTINE_SCHEMA = pa.schema(list(QUARANTINE_COLUMNS))


def quarantine_spec(
    name: str, description: str, partitioned_by: str | None = None, record_role: Role | None = None
) -> TableSpec:
    """Every quarantine table has the same columns; only its name and records (and what their ids are) differ."""
    columns = tuple(with_role(f, record_role) if f.name == "record_id" else f for f in QUARANTINE_COLUMNS)
    return TableSpec(name, description, columns, partitioned_by)


def quarantine_row(record_kind: str, record_id: str, partition: str, violation: Violation) -> dict[str, str]:
    return {
        "record_kind": record_kind,
        "record_id": record_id,
        "partition": partition,
        "rule_id": violation.rule.id,
        "file": violation.file,
        "detail": violation.detail,
        "hint": violation.rule.hint,
    }


def quarantine_table(rows: Sequence[dict[str, str]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=QUARANTINE_SCHEMA)


def incomplete_quarantine_rows(rows: Iterable[dict[str, str | None]]) -> list[str]:
    """Rows a person could not act on: unknown rule, or no file, detail or hint."""
    problems = []
    for row in rows:
        if row.get("rule_id") not in RULES.rules:
            problems.append(f"{row.get('record_id')}: unknown rule {row.get('rule_id')!r}")
        for column in ("file", "detail", "hint"):
            if not row.get(column):
                problems.append(f"{row.get('record_id')}: empty {column}")
    return problems


def counts_by_rule(rows: Iterable[dict[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["rule_id"]] = counts.get(row["rule_id"], 0) + 1
    return dict(sorted(counts.items()))
