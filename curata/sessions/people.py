"""Whose a session folder is: the pseudonym and image hashes of every validated folder, accepted or quarantined.

A refused folder's metadata is read leniently (nothing raises, what cannot be read stays null), so that a
person's quarantined sessions are found by an erasure request as surely as their accepted ones. Ingestion
writes these rows (`session_people`); erasure reads folders the same way.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from curata.hashing import sha256_file
from curata.privacy import PseudonymKey, is_email
from curata.sessions.naming import METADATA_GLOB, folder_stamp, metadata_name, parse_folder_name
from curata.sessions.validate import Limits, SessionOutcome

IMAGE_FIELDS = {"original_sha256": "originalFilename", "edited_sha256": "reimaginedFilename"}


def session_person(
    folder: Path, outcome: SessionOutcome, partition: str, key: PseudonymKey, limits: Limits
) -> dict[str, Any] | None:
    """The folder's `session_people` row; None while it is deferred (its metadata may be half-written)."""
    if outcome.deferred_reason is not None:
        return None
    row = {"session_folder": outcome.folder, "partition_date": partition, "outcome": outcome.status}
    accepted = outcome.accepted
    if accepted is not None:
        taken = ("user_pseudonym", "pseudonym_key_id", *IMAGE_FIELDS)
        return row | {name: accepted[name] for name in taken}
    return row | read_person(folder, key, limits)


def read_person(folder: Path, key: PseudonymKey, limits: Limits) -> dict[str, Any]:
    """Pseudonym and image hashes as far as the folder lets them be read."""
    meta = read_metadata(folder, limits.max_metadata_bytes)
    pseudonym = key.pseudonymize(email_of(meta))
    largest = limits.image.max_bytes
    hashes = {column: _hash_inside(folder, meta.get(name), largest) for column, name in IMAGE_FIELDS.items()}
    return {"user_pseudonym": pseudonym, "pseudonym_key_id": key.key_id if pseudonym else None, **hashes}


def email_of(meta: dict[str, Any]) -> str | None:
    """The metadata's address if it is one; None for anonymous, missing or malformed ones."""
    email = meta.get("userEmail")
    return email.strip() if isinstance(email, str) and is_email(email.strip()) else None


def read_metadata(folder: Path, max_bytes: int) -> dict[str, Any]:
    """The folder's metadata object, or {} when there is none that parses; links are never followed."""
    try:
        if stat.S_ISLNK(os.lstat(folder).st_mode):
            return {}
        stamp = parse_folder_name(folder.name)
        named = [folder / metadata_name(folder_stamp(stamp))] if stamp else []
        for path in named + sorted(folder.glob(METADATA_GLOB)):
            meta = parse_metadata(path, max_bytes)
            if meta:
                return meta
    except OSError:
        pass
    return {}


def parse_metadata(path: Path, max_bytes: int) -> dict[str, Any]:
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return {}
        return metadata_object(path.read_bytes())
    except OSError:
        return {}


def metadata_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _hash_inside(folder: Path, name: object, max_bytes: int) -> str | None:
    """sha256 of a regular file directly inside the folder; None for anything else."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", ".."):
        return None
    path = folder / name
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        return sha256_file(path)
    except OSError:
        return None
