"""Streams the elements of a JSON array file one by one, so a torn tail or a bad element costs only itself.

`json.JSONDecoder.raw_decode` parses each element where it starts; when it fails, a bracket scan
(strings respected) finds where the element ends, so the next one is still read. The file is read
in chunks: memory holds one chunk plus the element being read, whatever the file's size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK_CHARS = 1 << 20
_DECODER = json.JSONDecoder()
_SEPARATORS = re.compile(r"[\s,]*")
_BRACKETS = re.compile(r'[\[\]{}"]')
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.S)
_SCALAR_END = re.compile(r"[,\]\s]")
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes that are not UTF-8


@dataclass(frozen=True)
class ArrayElement:
    number: int  # 1-based position in the array
    line: int  # 1-based line where the element starts
    text: str  # its source text
    value: object | None  # the parsed value; None when `error` is set
    error: str | None  # why it does not parse
    truncated: bool  # the file ended inside it


class _Buffer:
    """A window on the file: `text[pos:]` is what has not been consumed yet."""

    def __init__(self, handle):
        self.handle = handle
        self.text = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def refill(self) -> bool:
        """Reads another chunk; False at the end of the file."""
        if self.eof:
            return False
        chunk = self.handle.read(CHUNK_CHARS)
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        self.eof = not chunk
        return bool(chunk)

    def advance(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def skip_separators(self) -> None:
        while True:
            self.advance(_SEPARATORS.match(self.text, self.pos).end())
            if self.pos < len(self.text) or not self.refill():
                return


def iter_array_elements(path: Path) -> Iterator[ArrayElement]:
    """Every element of the top-level array; a file that is not an array is one malformed element."""
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        buf = _Buffer(handle)
        buf.refill()
        buf.skip_separators()
        if not buf.text.startswith("[", buf.pos):
            head = buf.text[buf.pos :]  # the first chunk stands for the whole file in the quarantine row
            if head:
                yield ArrayElement(1, buf.line, head, None, "the file is not a JSON array", False)
            return
        buf.advance(buf.pos + 1)
        number = 0
        while True:
            buf.skip_separators()
            if buf.pos >= len(buf.text) or buf.text[buf.pos] == "]":
                return  # a missing "]" after a complete element loses nothing
            number += 1
            element = _next_element(buf, number)
            yield element
            if element.truncated:
                return


def _next_element(buf: _Buffer, number: int) -> ArrayElement:
    while True:
        start, line = buf.pos, buf.line
        try:
            value, end = _DECODER.raw_decode(buf.text, start)
            if end == len(buf.text) and buf.refill():  # a number may go on in the next chunk
                continue
            text = buf.text[start:end]
            error = "bytes that are not UTF-8" if _NOT_UTF8.search(text) else None
            buf.advance(end)
            return ArrayElement(number, line, text, None if error else value, error, False)
        except json.JSONDecodeError as exc:
            end = _value_end(buf.text, start)
            if end is None and buf.refill():
                continue
            if end is None:
                text = buf.text[start:]
                buf.advance(len(buf.text))
                return ArrayElement(number, line, text, None, f"cut off after {len(text)} characters", True)
            buf.advance(end)
            return ArrayElement(number, line, buf.text[start:end], None, f"{exc.msg} at column {exc.colno}", False)


def _value_end(text: str, start: int) -> int | None:
    """Where the value starting at `start` ends, by brackets outside strings; None if not within `text`."""
    if text[start] not in "[{":
        if text[start] == '"':
            match = _STRING_REST.match(text, start + 1)
            return match.end() if match else None
        match = _SCALAR_END.search(text, start)
        return match.start() if match else None
    depth, pos = 0, start
    while True:
        match = _BRACKETS.search(text, pos)
        if match is None:
            return None
        char, pos = match.group(), match.end()
        if char == '"':
            rest = _STRING_REST.match(text, pos)
            if rest is None:
                return None
            pos = rest.end()
        elif char in "[{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return pos
