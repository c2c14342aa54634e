"""Bounded-memory line reading for append-only logs (JSONL, CSV) that may hold hostile lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_LINE_BYTES = 64 * 1024
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark, written before the first line by some Windows tools


@dataclass(frozen=True)
class RawLine:
    line_no: int  # 1-based physical line number
    head: bytes  # the first max_bytes + 1 bytes of the line, newline included if it fits
    length: int  # the full length in bytes
    terminated: bool  # False for a last line the writer never finished

    @property
    def too_long(self) -> bool:
        """True when only the head was read: the line is over the reader's limit."""
        return self.length > len(self.head)


def iter_lines(path: Path, max_bytes: int = MAX_LINE_BYTES) -> Iterator[RawLine]:
    """Every non-blank line; an enormous line is measured, never loaded whole; a leading BOM is not content."""
    if not path.is_file():
        return
    with open(path, "rb") as handle:
        line_no = 0
        while True:
            head = handle.readline(max_bytes + 1)
            if not head:
                return
            line_no += 1
            if line_no == 1 and head.startswith(BOM):
                head = head[len(BOM) :]
            length = len(head)
            last = head
            if len(head) > max_bytes and not head.endswith(b"\n"):
                while True:
                    rest = handle.readline(1 << 20)
                    length += len(rest)
                    if rest:
                        last = rest
                    if not rest or rest.endswith(b"\n"):
                        break
            if head.strip():
                yield RawLine(line_no, head, length, last.endswith(b"\n"))
