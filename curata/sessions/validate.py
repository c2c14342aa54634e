"""Validation of one session folder: accepted, quarantined with the rule it broke, or deferred."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from curata import rules
from curata.images import DEFAULT_IMAGE_LIMITS, ImageFacts, ImageLimits, ImageRejected, inspect_file
from curata.links import link_outside_root, refuse_link_outside_root
from curata.privacy import ANONYMOUS, PseudonymKey, is_email
from curata.rules import Refused, Violation
from curata.sessions.inventory import newest_mtime_and_size
from curata.sessions.naming import folder_stamp, metadata_name, parse_folder_name, parse_iso
from curata.text import cleaned_instruction

REQUIRED_FIELDS: dict[str, type] = {
    "timestamp": str,
    "instruction": str,
    "originalFilename": str,
    "reimaginedFilename": str,
    "originalSize": int,
    "reimaginedSize": int,
    "sessionId": str,
}


@dataclass(frozen=True)
class Limits:
    """The session limits' one set of defaults; the `curata` resource sets each and hands them to every use."""

    settle_seconds: float = 120.0  # a folder modified more recently is still being written: deferred
    max_metadata_bytes: int = 1 << 20  # a larger metadata file is refused unread, and never places a folder
    image: ImageLimits = DEFAULT_IMAGE_LIMITS


DEFAULT_LIMITS = Limits()


@dataclass
class SessionOutcome:
    """What became of one folder. Exactly one of `accepted`, `violations`, `deferred_reason` is set."""

    folder: str
    accepted: dict[str, Any] | None = None
    violations: list[Violation] = field(default_factory=list)
    deferred_reason: str | None = None
    images: list[tuple[str, ImageFacts]] = field(default_factory=list)  # (path, facts) of an accepted folder

    @property
    def status(self) -> str:
        if self.deferred_reason is not None:
            return "deferred"
        return "quarantined" if self.violations else "accepted"


def pair_key(original_sha256: str, edited_sha256: str) -> str:
    """Identity of a session's image pair: one pair must not carry two instructions (two labels)."""
    return hashlib.sha256(f"{original_sha256}:{edited_sha256}".encode()).hexdigest()


def content_key(original_sha256: str, edited_sha256: str, instruction: str) -> str:
    """Identity of a session's content: the same two images and (cleaned) instruction are the same example."""
    text = f"{original_sha256}:{edited_sha256}:{instruction}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate_session(
    folder: Path, *, data_root: Path, key: PseudonymKey, now: float, limits: Limits | None = None
) -> SessionOutcome:
    """Runs every session rule on `folder`; never raises for bad input, only for a broken disk."""
    limits = limits or DEFAULT_LIMITS
    outcome = SessionOutcome(folder=folder.name)
    unusable = unusable_link(folder, data_root)
    if unusable is not None:  # waiting cannot cure a link: it is refused at once, never deferred
        outcome.violations.append(unusable)
        return outcome
    newest, _, _ = newest_mtime_and_size(folder, data_root)
    unsettled = settle_reason(now - newest, limits.settle_seconds)
    if unsettled is not None:
        outcome.deferred_reason = unsettled
        return outcome
    try:
        outcome.accepted, outcome.images = _accept(folder, data_root, key, limits)
    except Refused as refused:
        outcome.violations.append(refused.violation)
    except OSError as exc:  # one unreadable file must not cost the rest of the batch
        where = _rel(Path(exc.filename), data_root) if exc.filename else _rel(folder, data_root)
        outcome.violations.append(Violation(rules.UNREADABLE, where, f"{type(exc).__name__}: {exc.strerror}"))
    return outcome


def unusable_link(folder: Path, data_root: Path) -> Violation | None:
    """A folder link out of the data root, or one that resolves to no folder; None for a folder to read."""
    if not folder.is_symlink():
        return None
    out = link_outside_root(folder, data_root)
    if out is not None:
        return out
    try:
        if folder.resolve(strict=True).is_dir():
            return None
    except (OSError, RuntimeError):  # a loop or a dangling link
        pass
    return Violation(rules.FOLDER_IS_LINK, _rel(folder, data_root), f"links to {os.readlink(folder)!r}")


def _rel(path: Path, data_root: Path) -> str:
    try:
        return path.relative_to(data_root).as_posix()
    except ValueError:
        return path.as_posix()


def settle_reason(age_seconds: float, settle_seconds: float) -> str | None:
    """Why a folder is not settled yet, or None; a modification time in the future is clock skew, said so."""
    if age_seconds < 0:
        ahead = f"{-age_seconds:.0f}s"
        return f"clock skew: modified {ahead} in the future by this machine's clock; retried once that time has passed"
    if age_seconds < settle_seconds:
        return f"modified {age_seconds:.0f}s ago, under the {settle_seconds:.0f}s settle time"
    return None


def _accept(
    folder: Path, data_root: Path, key: PseudonymKey, limits: Limits
) -> tuple[dict[str, Any], list[tuple[str, ImageFacts]]]:
    folder_rel = _rel(folder, data_root)
    folder_ts = parse_folder_name(folder.name)
    if folder_ts is None:
        raise Refused(rules.FOLDER_NAME, folder_rel, f"folder name {folder.name!r}")
    stamp = folder_stamp(folder_ts)
    meta_path = folder / metadata_name(stamp)
    meta_rel = _rel(meta_path, data_root)
    meta = _load_metadata(meta_path, meta_rel, limits)

    for name, kind in REQUIRED_FIELDS.items():
        if name not in meta:
            raise Refused(rules.FIELD_MISSING, meta_rel, f"field {name!r} is missing")
        value = meta[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise Refused(
                rules.FIELD_TYPE, meta_rel, f"field {name!r} is {type(value).__name__}, expected {kind.__name__}"
            )
    email = meta.get("userEmail")
    if email is not None and not isinstance(email, str):
        raise Refused(rules.FIELD_TYPE, meta_rel, f"field 'userEmail' is {type(email).__name__}, expected str")

    if meta["sessionId"] != folder.name:
        raise Refused(rules.SESSION_ID_MISMATCH, meta_rel, f"sessionId {meta['sessionId']!r} in folder {folder.name!r}")
    meta_ts = parse_iso(meta["timestamp"])
    if meta_ts is None:
        raise Refused(rules.FIELD_TYPE, meta_rel, f"timestamp {meta['timestamp']!r} is not ISO-8601")
    if meta_ts != folder_ts:
        raise Refused(rules.TIMESTAMP_MISMATCH, meta_rel, f"timestamp {meta['timestamp']} vs folder {stamp}")
    instruction = cleaned_instruction(meta["instruction"], meta_rel)
    if email is not None and email.strip().lower() != ANONYMOUS and not is_email(email.strip()):
        # The detail never repeats the value: it may be personal data.
        raise Refused(rules.EMAIL_INVALID, meta_rel, f"userEmail of {len(email)} characters is not an address")

    images: dict[str, tuple[str, ImageFacts]] = {}
    for role, name_field, size_field in (
        ("original", "originalFilename", "originalSize"),
        ("edited", "reimaginedFilename", "reimaginedSize"),
    ):
        path = _resolve_inside(folder, meta[name_field], data_root)
        images[role] = _rel(path, data_root), _check_image(path, meta[size_field], data_root, limits)
    (original_path, original), (edited_path, edited) = images["original"], images["edited"]

    pseudonym = key.pseudonymize(email)
    row = {
        "session_id": folder.name,
        "session_folder": folder.name,
        "partition_date": folder_ts.date().isoformat(),
        "timestamp": folder_ts,
        "instruction": instruction,
        "instruction_raw": meta["instruction"],
        "user_pseudonym": pseudonym,
        "pseudonym_key_id": key.key_id if pseudonym else None,
        "original_path": original_path,
        "original_sha256": original.sha256,
        "original_width": original.width,
        "original_height": original.height,
        "original_bytes": original.num_bytes,
        "edited_path": edited_path,
        "edited_sha256": edited.sha256,
        "edited_width": edited.width,
        "edited_height": edited.height,
        "edited_bytes": edited.num_bytes,
        "pair_key": pair_key(original.sha256, edited.sha256),
        "content_key": content_key(original.sha256, edited.sha256, instruction),
    }
    return row, list(images.values())


def _load_metadata(meta_path: Path, meta_rel: str, limits: Limits) -> dict[str, Any]:
    if not meta_path.is_file():
        raise Refused(rules.METADATA_MISSING, meta_rel, "no metadata file with the folder's timestamp")
    size = meta_path.stat().st_size
    if size > limits.max_metadata_bytes:
        raise Refused(rules.METADATA_TOO_LARGE, meta_rel, f"{size:,} bytes, limit {limits.max_metadata_bytes:,}")
    try:
        meta = json.loads(meta_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(rules.METADATA_UNPARSEABLE, meta_rel, str(exc)) from exc
    if not isinstance(meta, dict):
        raise Refused(rules.METADATA_NOT_OBJECT, meta_rel, f"top level is {type(meta).__name__}")
    return meta


def _resolve_inside(folder: Path, name: str, data_root: Path) -> Path:
    """The file `name` inside `folder`; refuses .., absolute paths, separators and symlinks out."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if not name or pure.is_absolute() or ".." in pure.parts or len(pure.parts) != 1 or ":" in name:
        raise Refused(rules.PATH_ESCAPES, _rel(folder, data_root) + "/" + name, f"file name {name!r}")
    path = folder / name
    refuse_link_outside_root(path, data_root)
    if path.is_symlink():
        try:
            target = path.resolve()
        except (OSError, RuntimeError) as exc:  # a link loop: RuntimeError on Python 3.11
            raise Refused(rules.UNREADABLE, _rel(path, data_root), f"link {os.readlink(path)!r} never ends") from exc
        if not target.is_relative_to(folder.resolve()):
            raise Refused(rules.PATH_ESCAPES, _rel(path, data_root), f"symlink points outside to {os.readlink(path)!r}")
    if not path.is_file():
        raise Refused(rules.FILE_MISSING, _rel(path, data_root), "file does not exist")
    return path


def _check_image(path: Path, declared_bytes: int, data_root: Path, limits: Limits) -> ImageFacts:
    rel = _rel(path, data_root)
    try:
        facts = inspect_file(path, limits.image)
    except ImageRejected as rejected:
        raise Refused(rejected.rule, rel, rejected.detail) from rejected
    if facts.num_bytes != declared_bytes:
        raise Refused(rules.SIZE_MISMATCH, rel, f"{facts.num_bytes:,} bytes on disk, metadata says {declared_bytes:,}")
    return facts
