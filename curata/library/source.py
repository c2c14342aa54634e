"""The library's export, cut into records: lines of images_metadata.jsonl or elements of images_metadata.json.

Each record comes out parsed or with the rule that refuses it (bad JSON, torn tail, too large), and
with a record id that is stable for the file: `<file name>:<line>` or `<file name>:<element>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from curata import rules
from curata.layout import DataRoot
from curata.library.jsonarray import iter_array_elements
from curata.lines import iter_lines
from curata.rules import Violation

JSONL_NAME = "images_metadata.jsonl"
JSON_NAME = "images_metadata.json"
IMAGES_FOLDER = "images"
RECORD_KIND = "library_record"
MAX_RECORD_BYTES = 1 << 20  # a record with 400 faces; a larger one is refused, never loaded


@dataclass(frozen=True)
class RawRecord:
    number: int  # line of the JSONL, or element of the JSON array (1-based)
    record_id: str  # `<file name>:<number>`
    where: str  # `library/<file name>:<line>`, for quarantine rows
    data: bytes  # the record's bytes (for a refused oversized line, its first MAX bytes)
    value: dict | None  # the parsed object; None when `problem` is set
    problem: Violation | None


def metadata_file(root: DataRoot) -> Path | None:
    """The export to read: the JSONL when both exist (large libraries use it), else the JSON array."""
    for name in (JSONL_NAME, JSON_NAME):
        if (root.library / name).is_file():
            return root.library / name
    return None


def ignored_files(root: DataRoot) -> list[str]:
    """Exports present but not read (a JSON array beside the JSONL), to be reported rather than dropped silently."""
    chosen = metadata_file(root)
    return [
        f"library/{p.name}"
        for p in (root.library / JSONL_NAME, root.library / JSON_NAME)
        if p != chosen and p.is_file()
    ]


def iter_raw_records(path: Path, max_bytes: int) -> Iterator[RawRecord]:
    """Every record of the export, in file order."""
    if path.name.endswith(".jsonl"):
        yield from _jsonl_records(path, max_bytes)
    else:
        yield from _array_records(path, max_bytes)


def record_ids(path: Path | None) -> list[str]:
    """Every record of the export, counted without validating anything, to reconcile the outcomes against."""
    if path is None:
        return []
    if path.name.endswith(".jsonl"):
        return [f"{path.name}:{line.line_no}" for line in iter_lines(path)]
    return [f"{path.name}:{element.number}" for element in iter_array_elements(path)]


def _jsonl_records(path: Path, max_bytes: int) -> Iterator[RawRecord]:
    for line in iter_lines(path, max_bytes):
        where = f"library/{path.name}:{line.line_no}"
        record = RawRecord(line.line_no, f"{path.name}:{line.line_no}", where, line.head, None, None)
        if line.too_long:
            detail = f"line of {line.length:,} bytes, limit {max_bytes:,}"
            yield _refused(record, rules.LIBRARY_RECORD_MALFORMED, detail)
            continue
        try:
            value = json.loads(line.head)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if line.terminated:
                yield _refused(record, rules.LIBRARY_RECORD_MALFORMED, _decode_error(exc))
            else:
                detail = f"last line of {line.length:,} bytes has no line end and does not parse"
                yield _refused(record, rules.LIBRARY_RECORD_TRUNCATED, detail)
            continue
        yield _parsed(record, value)


def _array_records(path: Path, max_bytes: int) -> Iterator[RawRecord]:
    for element in iter_array_elements(path):
        data = element.text.encode("utf-8", errors="surrogateescape")
        where = f"library/{path.name}:{element.line}"
        record = RawRecord(element.number, f"{path.name}:{element.number}", where, data, None, None)
        if element.truncated:
            detail = f"element {element.number}: {element.error}; the file ends inside it"
            yield _refused(record, rules.LIBRARY_RECORD_TRUNCATED, detail)
        elif element.error is not None:
            yield _refused(record, rules.LIBRARY_RECORD_MALFORMED, f"element {element.number}: {element.error}")
        elif len(data) > max_bytes:
            detail = f"element {element.number} of {len(data):,} bytes, limit {max_bytes:,}"
            yield _refused(record, rules.LIBRARY_RECORD_MALFORMED, detail)
        else:
            yield _parsed(record, element.value)


def _parsed(record: RawRecord, value: object) -> RawRecord:
    if not isinstance(value, dict):
        return _refused(record, rules.LIBRARY_RECORD_MALFORMED, f"{json_type(value)}, not an object")
    return RawRecord(record.number, record.record_id, record.where, record.data, value, None)  # replace() is slow


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for details a person reads."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _refused(record: RawRecord, rule: rules.Rule, detail: str) -> RawRecord:
    return replace(record, problem=Violation(rule, record.where, detail))


def _decode_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at column {exc.colno}"
    return "bytes that are not UTF-8"
