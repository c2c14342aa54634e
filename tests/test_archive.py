"""Archiving a day to the cold tier (moto's S3 server over HTTP): verified, removed, restored byte for byte."""

from __future__ import annotations

import hashlib
import os
from dataclasses import fields, replace

import pytest

from curata.archive import (
    ARCHIVE_INVENTORY,
    DayArchived,
    InventoryEntry,
    RestoreConflict,
    archive_day,
    archived_days_of,
    inventory_entries,
    inventory_table,
    refuse_if_archived,
    restore_day,
)
from curata.archive.days import ALREADY, ARCHIVED, DEFERRED, NOT_DUE, changed_since
from curata.archive.manifest import ArchiveError, hot_entries
from curata.archive.receipts import REMOVED, RESTORED, read_receipt, write_receipt
from tests.archive_helpers import (
    DAY_KEY,
    NOW,
    POLICY,
    object_bytes,
    snapshot,
    tiers_for,
    write_day,
)


@pytest.fixture
def tiers(root, s3, bucket):
    return tiers_for(root, s3, bucket)


@pytest.fixture
def day_folders(root, make_session) -> list[str]:
    return write_day(root, make_session)


def test_a_day_is_verified_removed_and_restored_byte_identical(root, tiers, day_folders):
    before = snapshot(root.sessions, day_folders)
    files = [p for f in day_folders for p in (root.sessions / f).iterdir()]
    raw_bytes = sum(p.lstat().st_size for p in files if not p.is_symlink())
    outcome = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)

    assert (outcome.status, outcome.verified, outcome.uploaded, outcome.removed) == (ARCHIVED, True, True, 3)
    assert not any((root.sessions / f).exists() for f in day_folders)
    assert os.listdir(root.sessions) == ["session-2025-01-16T10-30-45-123Z"]  # the next day stays
    entry = outcome.entry
    assert (entry.records, entry.files) == (3, len(files)) == (3, 10)  # 9 files and 1 link
    assert entry.bytes_raw == raw_bytes
    packed = object_bytes(tiers, entry.object_key)
    assert (len(packed), hashlib.sha256(packed).hexdigest()) == (entry.bytes_packed, entry.sha256)
    assert archived_days_of(tiers.store) == {DAY_KEY}

    restored = restore_day(DAY_KEY, tiers)

    assert (restored.restored, restored.already_hot) == (3, 0)
    assert snapshot(root.sessions, day_folders) == before
    assert archived_days_of(tiers.store) == set()
    assert not [n for n in os.listdir(root.sessions) if n.startswith(".restore")]


def test_reruns_redo_nothing_and_a_restored_day_is_archived_again_without_upload(root, tiers, day_folders):
    first = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)
    head = tiers.cold.client.head_object(Bucket=tiers.cold.bucket, Key=first.entry.object_key)

    again = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)

    assert (again.status, again.uploaded, again.removed, again.entry) == (ALREADY, False, 0, first.entry)
    assert restore_day(DAY_KEY, tiers).restored == 3
    assert restore_day(DAY_KEY, tiers).restored == 0  # idempotent
    rearchived = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)
    assert (rearchived.status, rearchived.uploaded, rearchived.verified, rearchived.removed) == (
        ARCHIVED,
        False,
        True,
        3,
    )
    after = tiers.cold.client.head_object(Bucket=tiers.cold.bucket, Key=first.entry.object_key)
    assert (after["ETag"], after["LastModified"]) == (head["ETag"], head["LastModified"])


def test_a_day_still_being_written_is_deferred_even_with_retention_zero(root, tiers, day_folders, make_session):
    from tests.conftest import later

    make_session(later(30), seed=9, settled=False)  # mtimes are now: still being written
    names = sorted(os.listdir(root.sessions))
    raw = [n for n in names if n.startswith(f"session-{DAY_KEY}")]
    zero = replace(POLICY, retention_days=0)

    outcome = archive_day(DAY_KEY, raw, [], tiers, zero)

    assert outcome.status == DEFERRED and "1 folder(s) still being written" in outcome.reason
    assert "under the 120s settle time" in outcome.reason
    assert tiers.cold.client.list_objects_v2(Bucket=tiers.cold.bucket).get("KeyCount") == 0
    assert all((root.sessions / n).exists() for n in raw)


def test_deferred_by_validation_or_out_of_step_with_raw_sessions_waits(root, tiers, day_folders):
    by_validation = archive_day(DAY_KEY, day_folders, day_folders[:1], tiers, POLICY, NOW)
    not_listed = archive_day(DAY_KEY, day_folders[1:], [], tiers, POLICY, NOW)
    gone = archive_day(DAY_KEY, [*day_folders, "session-2025-01-15T23-59-59-999Z"], [], tiers, POLICY, NOW)

    assert by_validation.status == not_listed.status == gone.status == DEFERRED
    assert "1 folder(s) deferred by validation" in by_validation.reason
    assert (
        f"1 folder(s) on disk not in raw_sessions ({day_folders[0]}): ingest the day again first" in not_listed.reason
    )
    assert "1 folder(s) of raw_sessions no longer on disk" in gone.reason
    assert all((root.sessions / f).exists() for f in day_folders)


def test_a_day_newer_than_the_retention_is_not_archived(root, tiers, day_folders):
    outcome = archive_day(DAY_KEY, day_folders, [], tiers, replace(POLICY, retention_days=60), NOW)

    assert (outcome.status, outcome.reason) == (NOT_DUE, "45 day(s) old, under the 60-day retention")
    assert all((root.sessions / f).exists() for f in day_folders)


def test_an_archived_day_is_refused_to_raw_sessions_until_restored(tiers, day_folders):
    archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)

    with pytest.raises(DayArchived, match=f"day {DAY_KEY} is archived; run `curata restore {DAY_KEY}` first"):
        refuse_if_archived(tiers.store, DAY_KEY)
    restore_day(DAY_KEY, tiers)
    refuse_if_archived(tiers.store, DAY_KEY)  # restored: listed again


def test_a_run_stopped_while_removing_is_finished_by_the_next(root, tiers, day_folders):
    archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)
    restore_day(DAY_KEY, tiers)
    receipt = read_receipt(tiers.store, DAY_KEY)
    write_receipt(tiers.store, replace(receipt, hot_copy=REMOVED))  # as if stopped after the receipt...
    first = root.sessions / day_folders[0]
    next(p for p in first.iterdir() if p.suffix == ".jpg").unlink()  # ...half-way through removing

    outcome = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)

    assert (outcome.status, outcome.verified, outcome.removed) == (ARCHIVED, True, 3)
    assert not any((root.sessions / f).exists() for f in day_folders)


def test_leftovers_that_differ_from_the_archive_are_never_removed(root, tiers, day_folders):
    archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)
    restore_day(DAY_KEY, tiers)
    write_receipt(tiers.store, replace(read_receipt(tiers.store, DAY_KEY), hot_copy=REMOVED))
    (root.sessions / day_folders[1] / "notes.txt").write_text("written after the day was archived")

    with pytest.raises(ArchiveError, match="1 path\\(s\\) left on disk differ from the archive"):
        archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)
    assert all((root.sessions / f).exists() for f in day_folders)


def test_restore_never_overwrites_a_folder_holding_other_bytes(root, tiers, day_folders):
    archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW)
    stranger = root.sessions / day_folders[0]
    stranger.mkdir()
    (stranger / "other.txt").write_text("someone else's file")

    with pytest.raises(RestoreConflict, match="1 folder\\(s\\) on disk hold files the archive does not"):
        restore_day(DAY_KEY, tiers)
    assert os.listdir(stranger) == ["other.txt"]
    assert not (root.sessions / day_folders[1]).exists()  # nothing restored
    assert read_receipt(tiers.store, DAY_KEY).hot_copy == REMOVED


def test_a_change_after_packing_is_seen_without_reading_files(root, day_folders):
    read = hot_entries(root.sessions, day_folders)
    assert changed_since(root.sessions, day_folders, read) == []
    target = root.sessions / day_folders[1] / "late.txt"
    target.write_text("x")
    assert changed_since(root.sessions, day_folders, read) == [f"{day_folders[1]}/late.txt"]


def test_inventory_rows_have_exactly_the_declared_columns(tiers, day_folders):
    assert [f.name for f in fields(InventoryEntry)] == ARCHIVE_INVENTORY.schema.names
    entry = archive_day(DAY_KEY, day_folders, [], tiers, POLICY, NOW).entry
    table = inventory_table([entry])
    assert table.schema == ARCHIVE_INVENTORY.schema
    assert inventory_entries(table) == [replace(entry, archived_at=table.column("archived_at")[0].as_py())]
    assert read_receipt(tiers.store, DAY_KEY).hot_copy == REMOVED != RESTORED
