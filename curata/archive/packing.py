"""Packs a day's session folders into one tar + zstandard stream, read piece by piece: memory stays flat.

The tar is written block by block (header, file in 1 MiB chunks, padding), hashed as it is read, and
closed by the manifest as its last member. Whoever reads the stream (the multipart upload) drives it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import zstandard

from curata.archive.manifest import (
    DIR,
    FILE,
    LINK,
    MANIFEST_NAME,
    ArchiveError,
    ManifestEntry,
    encode_manifest,
    entry_of,
    kind_of,
    link_entry,
    walk,
)

CHUNK = 1 << 20
BLOCK = tarfile.BLOCKSIZE
_TYPES = {DIR: tarfile.DIRTYPE, FILE: tarfile.REGTYPE, LINK: tarfile.SYMTYPE}


def tar_header(entry: ManifestEntry, linkname: str = "") -> bytes:
    info = tarfile.TarInfo(entry.path)
    info.type = _TYPES[entry.kind]
    info.size = entry.size if entry.kind == FILE else 0
    info.mode = entry.mode
    info.mtime = entry.mtime_ns // 1_000_000_000  # whole seconds; the manifest keeps the nanoseconds
    info.linkname = linkname
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


class DayPacker:
    """The tar of the named folders; `entries` is the manifest, complete once the stream is read to its end."""

    def __init__(self, sessions_dir: Path, folders: Iterable[str]):
        self.sessions_dir = sessions_dir
        self.folders = sorted(folders)
        self.entries: list[ManifestEntry] = []

    def tar_blocks(self) -> Iterator[bytes]:
        for rel, path, info in walk(self.sessions_dir, self.folders):
            kind = kind_of(rel, info)
            if kind == FILE:
                yield from self._file(rel, path, info)
                continue
            entry = link_entry(rel, path, info) if kind == LINK else entry_of(rel, info, DIR)
            self.entries.append(entry)
            yield tar_header(entry, os.readlink(path) if kind == LINK else "")
        manifest = encode_manifest(self.entries)
        yield tar_header(ManifestEntry(MANIFEST_NAME, FILE, len(manifest), "", 0o644, 0)) + manifest
        yield padding(len(manifest)) + b"\0" * (2 * BLOCK)

    def _file(self, rel: str, path: Path, info: os.stat_result) -> Iterator[bytes]:
        """The file as stat saw it; one that changes while it is read stops the packing (nothing is removed)."""
        h = hashlib.sha256()
        left = info.st_size
        with open(path, "rb") as handle:
            yield tar_header(entry_of(rel, info, FILE, info.st_size))
            while left:
                chunk = handle.read(min(CHUNK, left))
                if not chunk:
                    break
                h.update(chunk)
                left -= len(chunk)
                yield chunk
            if left or handle.read(1) or os.fstat(handle.fileno()).st_mtime_ns != info.st_mtime_ns:
                raise ArchiveError(f"{rel} changed while it was packed; the day is archived by a later run")
        self.entries.append(entry_of(rel, info, FILE, info.st_size, h.hexdigest()))
        yield padding(info.st_size)

    @property
    def bytes_raw(self) -> int:
        return sum(e.size for e in self.entries if e.kind == FILE)

    @property
    def files(self) -> int:
        return sum(e.kind != DIR for e in self.entries)


def compressed(blocks: Iterable[bytes], level: int, threads: int) -> Iterator[bytes]:
    """zstandard over the blocks, one frame; `threads` > 0 compresses on that many threads beside this one."""
    compressor = zstandard.ZstdCompressor(level=level, threads=threads, write_checksum=True).compressobj()
    for block in blocks:
        out = compressor.compress(block)
        if out:
            yield out
    yield compressor.flush()


class ChunkReader(io.RawIOBase):
    """A read-only, non-seekable file over an iterator of byte chunks, hashing and counting what it gives out.

    `read(n)` returns n bytes unless the stream ends: a multipart upload makes each part from one read.
    """

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = b""
        self._sha = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = size if size is not None and size >= 0 else float("inf")
        parts = []
        while want > 0:
            if not self._pending:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._pending = chunk
                continue
            part = self._pending[: int(min(want, len(self._pending)))]
            self._pending = self._pending[len(part) :]
            parts.append(part)
            want -= len(part)
        data = b"".join(parts)
        self._sha.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()
