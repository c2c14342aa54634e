"""The pseudonym key the store's pseudonyms were made with, recorded in the store, and its declared rotations.

A run whose key is not the recorded one is refused before it writes anything: a silently changed key would
give every person a second pseudonym, and a later erasure request would miss their older rows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from curata.erasure.store_keys import KEY_RECORD
from curata.privacy import PSEUDONYM_KEY_ENV, PseudonymKey, PseudonymKeyError
from curata.storage import Store


class KeyChanged(PseudonymKeyError):
    """The run's key is not the one the store's pseudonyms were made with, and no rotation was declared."""


class RotationPending(PseudonymKeyError):
    """A rotation was declared and has not finished: pseudonyms are half re-keyed, nothing else may write them."""


@dataclass(frozen=True)
class KeyRecord:
    active: str  # id of the key every pseudonym in the store was made with
    since: str  # when it became active (ISO time)
    retired: list[dict] = field(default_factory=list)  # earlier keys: {"key_id", "retired_at"}
    rotating_to: str | None = None  # a declared rotation's new key id, until it completes

    def to_json(self) -> dict:
        return asdict(self)


def read_key_record(store: Store) -> KeyRecord | None:
    return KeyRecord(**json.loads(store.read_text(KEY_RECORD))) if store.exists(KEY_RECORD) else None


def write_key_record(store: Store, record: KeyRecord) -> None:
    store.write_text(KEY_RECORD, json.dumps(record.to_json(), indent=1, sort_keys=True))


def check_key(store: Store, key: PseudonymKey) -> KeyRecord:
    """Refuses a key the store does not know as active (or a pending rotation); records the first key used."""
    record = read_key_record(store)
    if record is None:
        record = KeyRecord(key.key_id, datetime.now(UTC).isoformat())
        write_key_record(store, record)
        return record
    if record.rotating_to is not None:
        raise RotationPending(
            f"a rotation of the pseudonym key from {record.active} to {record.rotating_to} was declared and has "
            "not finished: run `curata rotate-key` again with the same new key to finish it, then ingest"
        )
    if record.active == key.key_id:
        return record
    retired = {r["key_id"]: r["retired_at"] for r in record.retired}
    if key.key_id in retired:
        raise KeyChanged(
            f"{PSEUDONYM_KEY_ENV} holds key {key.key_id}, retired by a rotation on {retired[key.key_id][:10]}; "
            f"the store's pseudonyms are made with {record.active}: set {PSEUDONYM_KEY_ENV} to that key's secret"
        )
    raise KeyChanged(
        f"{PSEUDONYM_KEY_ENV} holds key {key.key_id}, but the store's pseudonyms were made with {record.active}: "
        "a new key would give every person a second pseudonym. Set it back, or declare the change with "
        f"`curata rotate-key --new-key-env VAR` (the current key in {PSEUDONYM_KEY_ENV}, the new one in VAR)"
    )


def declare_rotation(store: Store, old: PseudonymKey, new: PseudonymKey) -> KeyRecord:
    """Marks the store as rotating from `old` to `new`; repeating the same declaration is allowed (a resume)."""
    if old.key_id == new.key_id:
        raise PseudonymKeyError("the new pseudonym key is the current one; nothing to rotate")
    record = read_key_record(store) or KeyRecord(old.key_id, datetime.now(UTC).isoformat())
    if record.rotating_to == new.key_id and record.active == old.key_id:
        return record
    if record.rotating_to is not None:
        raise RotationPending(f"a rotation to {record.rotating_to} is already under way; finish it first")
    if record.active != old.key_id:
        raise KeyChanged(f"the store's pseudonyms are made with {record.active}, not with {old.key_id}")
    record = replace(record, rotating_to=new.key_id)
    write_key_record(store, record)
    return record


def complete_rotation(store: Store) -> KeyRecord:
    record = read_key_record(store)
    if record is None or record.rotating_to is None:
        raise PseudonymKeyError("no rotation of the pseudonym key is under way")
    now = datetime.now(UTC).isoformat()
    done = KeyRecord(record.rotating_to, now, [*record.retired, {"key_id": record.active, "retired_at": now}])
    write_key_record(store, done)
    return done
