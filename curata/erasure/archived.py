"""Whose the sessions inside an archived day are, read from the object as a stream, without restoring it.

For the proof check (image hashes, pseudonyms) and for a key rotation (the emails that map old pseudonyms
to new ones). Emails stay in memory: the caller turns them into pseudonyms at once.
"""

from __future__ import annotations

import hashlib
import tarfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import zstandard

from curata.archive.cold import ColdTier
from curata.archive.manifest import MANIFEST_NAME, folder_of
from curata.archive.packing import CHUNK
from curata.sessions.naming import is_metadata_name
from curata.sessions.people import email_of, metadata_object


@dataclass
class ArchivedSession:
    hashes: set[str] = field(default_factory=set)  # sha256 of every file of the folder
    email: str | None = None  # from its metadata, when it holds a valid address


def archived_sessions(cold: ColdTier, key: str, max_metadata_bytes: int) -> dict[str, ArchivedSession]:
    """folder -> its file hashes and email, for every session folder the object holds."""
    out: dict[str, ArchivedSession] = {}
    with cold.reading(key) as (body, _):
        with zstandard.ZstdDecompressor().stream_reader(body, closefd=False) as plain:
            with tarfile.open(fileobj=plain, mode="r|", bufsize=CHUNK) as tar:
                for member in tar:
                    if member.name == MANIFEST_NAME or not member.isreg():
                        continue
                    session = out.setdefault(folder_of(member.name), ArchivedSession())
                    name = PurePosixPath(member.name).name
                    is_metadata = is_metadata_name(name)
                    digest, data = _read(tar, member, keep=is_metadata and member.size <= max_metadata_bytes)
                    session.hashes.add(digest)
                    if data is not None:
                        session.email = email_of(metadata_object(data)) or session.email
    return out


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo, keep: bool) -> tuple[str, bytes | None]:
    handle = tar.extractfile(member)
    h, parts = hashlib.sha256(), []
    for chunk in iter(lambda: handle.read(CHUNK), b""):  # type: ignore[union-attr]
        h.update(chunk)
        if keep:
            parts.append(chunk)
    return h.hexdigest(), b"".join(parts) if keep else None
