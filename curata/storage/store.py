"""A store: everything under one root (a local folder or an S3 prefix), addressed by relative POSIX keys.

Writes are atomic on both: a local file is written beside its target and renamed over it; an S3
object becomes visible only when its PUT or multipart upload completes. Readers never see half.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from upath import UPath

from curata.storage.s3 import S3Connection

_CHUNK = 1 << 20


class StoreKeyError(ValueError):
    """A key that would leave the store's root (absolute, `..`, empty part)."""


class Store:
    def __init__(self, root: UPath, s3: S3Connection | None = None):
        self.root = root
        self.s3 = s3
        self.fs = root.fs
        self.is_local = root.protocol in ("", "file", "local")
        self._base = root.path.rstrip("/")

    @classmethod
    def at(cls, location: str | os.PathLike[str], s3: S3Connection | None = None) -> Store:
        """`s3://bucket/prefix` (with `s3` saying how to connect) or a local folder."""
        text = os.fspath(location)
        if text.startswith("s3://"):
            s3 = s3 or S3Connection()
            return cls(UPath(text.rstrip("/"), **s3.fsspec_options()), s3)
        return cls(UPath(Path(text).resolve()))

    @property
    def url(self) -> str:
        return f"s3://{self._base}" if not self.is_local else self._base

    def __repr__(self) -> str:
        return f"Store({self.url})"

    # -- addressing ---------------------------------------------------------------------------------------
    def full(self, key: str) -> str:
        """The file-system path of `key` (what fsspec and pyarrow take)."""
        if not key or any(part in ("", ".", "..") for part in key.split("/")) or "\\" in key:
            raise StoreKeyError(f"bad store key {key!r}")
        return f"{self._base}/{key}"

    def key_of(self, full: str) -> str:
        full = full.removeprefix("s3://").rstrip("/")
        if not full.startswith(self._base + "/"):
            raise StoreKeyError(f"{full!r} is not under {self._base!r}")
        return full[len(self._base) + 1 :]

    def path(self, key: str) -> UPath:
        return self.root / key

    def local_path(self, key: str) -> Path | None:
        """The key as a local path, for tools that want one (a dataset loader); None on S3."""
        return Path(self.full(key)) if self.is_local else None

    def arrow(self) -> tuple[Any, str]:
        """(pyarrow file system, base path): pyarrow's own local or S3 file system, for Parquet."""
        from pyarrow import fs

        if self.is_local:
            return fs.LocalFileSystem(), self._base
        return (self.s3 or S3Connection()).arrow_filesystem(), self._base

    # -- reading ------------------------------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        return self.fs.exists(self.full(key))

    def is_file(self, key: str) -> bool:
        return self.fs.isfile(self.full(key))

    def size(self, key: str) -> int:
        return int(self.fs.size(self.full(key)))

    def age(self, key: str) -> float:
        """Seconds since the object was last written."""
        modified = self.fs.modified(self.full(key))
        return time.time() - modified.timestamp()

    def read_bytes(self, key: str) -> bytes:
        return self.fs.cat_file(self.full(key))

    def read_text(self, key: str) -> str:
        return self.read_bytes(key).decode("utf-8")

    def open(self, key: str) -> IO[bytes]:
        return self.fs.open(self.full(key), "rb")

    def sha256(self, key: str) -> str:
        h = hashlib.sha256()
        with self.open(key) as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                h.update(chunk)
        return h.hexdigest()

    def keys(self, prefix: str = "", *, hidden: bool = False) -> list[str]:
        """Every file below `prefix`, recursively, as keys; names starting with "." (temporaries) left out."""
        folder = self.full(prefix) if prefix else self._base
        if not self.fs.isdir(folder):
            return []
        found = [self.key_of(p) for p in self.fs.find(folder)]
        if not hidden:
            found = [k for k in found if not any(part.startswith(".") for part in PurePosixPath(k).parts)]
        return sorted(found)

    def children(self, prefix: str = "", *, hidden: bool = False) -> list[str]:
        """Names directly below `prefix` (files and folders)."""
        folder = self.full(prefix) if prefix else self._base
        if not self.fs.isdir(folder):
            return []
        names = {PurePosixPath(p.rstrip("/")).name for p in self.fs.ls(folder, detail=False)}
        return sorted(n for n in names if hidden or not n.startswith("."))

    def get_file(self, key: str, local: Path) -> None:
        self.fs.get_file(self.full(key), os.fspath(local))

    # -- writing ------------------------------------------------------------------------------------------
    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        """Yields a local path to write; on success its content is published at `key` in one step."""
        target = self.full(key)
        if self.is_local:
            folder = Path(target).parent
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{Path(target).name}.{uuid.uuid4().hex}.tmp"
        else:
            fd, name = tempfile.mkstemp(prefix="curata-", suffix=".tmp")
            os.close(fd)
            tmp = Path(name)
        try:
            yield tmp
            if self.is_local:
                _fsync(tmp)
                os.replace(tmp, target)
                _fsync(Path(target).parent)
            else:
                self.fs.put_file(os.fspath(tmp), target)
        finally:
            tmp.unlink(missing_ok=True)

    def write_bytes(self, key: str, data: bytes) -> None:
        with self.writing(key) as tmp:
            tmp.write_bytes(data)

    def write_text(self, key: str, text: str) -> None:
        self.write_bytes(key, text.encode("utf-8"))

    def put_file(self, local: Path, key: str) -> None:
        """Copies a local file in atomically."""
        with self.writing(key) as tmp:
            shutil.copyfile(local, tmp)

    def delete(self, key: str) -> None:
        full = self.full(key)
        if self.fs.exists(full):
            self.fs.rm_file(full)

    def delete_prefix(self, prefix: str) -> None:
        full = self.full(prefix)
        if self.fs.exists(full):
            self.fs.rm(full, recursive=True)

    def publish_folder(self, staging: str, final: str, last: str) -> None:
        """Makes the fully written folder `staging` visible as `final`; refuses to overwrite.

        Locally one rename. On S3 every object is copied, `last` (the manifest) after all the others,
        so a reader that trusts only folders with that file never sees a partial one.
        """
        if self.exists(final):
            raise FileExistsError(f"{final} already exists in {self.url}; published folders are never overwritten")
        if self.is_local:
            for path in Path(self.full(staging)).rglob("*"):
                if path.is_file():
                    _fsync(path)
            Path(self.full(final)).parent.mkdir(parents=True, exist_ok=True)
            os.rename(self.full(staging), self.full(final))
            _fsync(Path(self.full(final)).parent)
            return
        keys = self.keys(staging, hidden=True)
        for key in sorted(keys, key=lambda k: k == f"{staging}/{last}"):
            self.fs.copy(self.full(key), self.full(final + key[len(staging) :]))
        self.delete_prefix(staging)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
