"""Reads a packed day as a stream: every member hashed, optionally written out, the object's own sha256 taken.

Nothing is trusted before the end: the caller compares what was read with the manifest and the
inventory, and only then uses what was written (restore renames it into place).
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

import zstandard

from curata.archive.manifest import DIR, FILE, LINK, MANIFEST_NAME, ManifestEntry, decode_manifest
from curata.archive.packing import CHUNK


class UnreadableArchive(ValueError):
    """Bytes that are not a well-formed archive of session folders."""


# What malformed bytes raise on the way: the frame, the tar, the manifest's JSON.
UNREADABLE = (zstandard.ZstdError, tarfile.TarError, EOFError, UnreadableArchive, ValueError, KeyError, TypeError)


@dataclass
class ArchiveContents:
    members: list[ManifestEntry] = field(default_factory=list)  # what the archive holds, hashed on reading
    manifest: list[ManifestEntry] = field(default_factory=list)  # the manifest it carries
    sha256: str = ""  # of the object's bytes
    size: int = 0
    problem: str = ""  # why it could not be read to the end; "" when it could
    etag: str = ""  # the bucket's ETag of the object read


class HashingReader:
    """Passes reads through, hashing and counting every byte."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._sha = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._sha.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


def read_archive(stream: IO[bytes], into: Path | None = None) -> ArchiveContents:
    """Reads the whole object; with `into` (an empty folder) also writes every member below it."""
    raw = HashingReader(stream)
    contents = ArchiveContents()
    folders: set[str] = set()
    try:
        with zstandard.ZstdDecompressor().stream_reader(raw, closefd=False) as plain:
            with tarfile.open(fileobj=plain, mode="r|", bufsize=CHUNK) as tar:
                for member in tar:
                    if member.name == MANIFEST_NAME:
                        contents.manifest = decode_manifest(_extract(tar, member).read())
                    else:
                        contents.members.append(_read_member(tar, member, folders, into))
            while plain.read(CHUNK):
                pass
    except UNREADABLE as exc:  # the bytes, not the disk we write to or the network (those raise)
        contents.problem = f"{type(exc).__name__}: {exc}"
    raw.drain()
    contents.sha256, contents.size = raw.sha256, raw.size
    return contents


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, folders: set[str], into: Path | None) -> ManifestEntry:
    name = _checked_name(member.name, folders)
    target = into / name if into is not None else None
    mtime_ns = int(member.mtime) * 1_000_000_000
    if member.isdir():
        folders.add(name)
        if target is not None:
            target.mkdir()
        return ManifestEntry(name, DIR, 0, "", member.mode, mtime_ns)
    if member.issym():
        link = os.fsencode(member.linkname)
        if target is not None:
            os.symlink(member.linkname, target)
        return ManifestEntry(name, LINK, len(link), hashlib.sha256(link).hexdigest(), member.mode, mtime_ns)
    if not member.isreg():
        raise UnreadableArchive(f"{name} is neither a folder, a file nor a link")
    h = hashlib.sha256()
    source = _extract(tar, member)
    with open(target, "xb") if target is not None else _Discard() as sink:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            h.update(chunk)
            sink.write(chunk)
    return ManifestEntry(name, FILE, member.size, h.hexdigest(), member.mode, mtime_ns)


def _checked_name(name: str, folders: set[str]) -> str:
    """A relative path whose parent is a folder read before it: nothing is ever written outside, or through a link."""
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("..", ".", "") for part in name.split("/")):
        raise UnreadableArchive(f"unsafe member name {name!r}")
    parent = str(path.parent)
    if parent != "." and parent not in folders:
        raise UnreadableArchive(f"{name!r} comes before, or outside, the folder that holds it")
    return name


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    handle = tar.extractfile(member)
    if handle is None:
        raise UnreadableArchive(f"{member.name} has no content")
    return handle


class _Discard:
    def __enter__(self) -> _Discard:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, data: bytes) -> None:
        return None
