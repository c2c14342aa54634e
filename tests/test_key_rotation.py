"""The pseudonym key: a silent change is refused before anything is written; a declared rotation re-keys every
table, tombstone and export in one resumable job, so one person keeps one pseudonym."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance

import runner
from curata import rules
from curata.archive import archive_day
from curata.archive.receipts import REMOVED, read_receipt
from curata.erasure.erase import erase_request
from curata.erasure.holdings import Erased
from curata.erasure.index import BY_PERSON, lookup
from curata.erasure.keys import KeyChanged, RotationPending, read_key_record
from curata.erasure.requests import new_request
from curata.erasure.rotation import rotate_key
from curata.export.verify import export_problems
from curata.export.versioned import latest_version
from curata.privacy import PSEUDONYM_KEY_ENV, PseudonymKey
from tests.archive_helpers import NOW, POLICY, tiers_for
from tests.conftest import DAY, KEY, PSEUDONYM_KEY, later
from tests.dagster_helpers import definitions_for, ingest, publish, warehouse_of
from tests.test_erasure_helpers import ANA, BOB, DAY_KEY, context, rows_holding

OLD = PSEUDONYM_KEY
NEW_SECRET = "the-new-pseudonym-key-0123456789"
NEW = PseudonymKey(NEW_SECRET.encode())
CAROL = "carol@example.com"
NEW_KEY_ENV = "CURATA_NEW_PSEUDONYM_KEY"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def ingested(root, make_session, monkeypatch):
    """Ana (two sessions), bob and carol ingested and exported under the old key."""
    sessions = {
        "ana": [make_session(later(0), seed=1, email=ANA), make_session(later(5), seed=2, email=ANA)],
        "bob": [make_session(later(9), seed=3, email=BOB)],
        "carol": [make_session(later(12), seed=4, email=CAROL)],
    }
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    assert ingest(defs, DAY_KEY, instance).success and publish(defs, instance).success
    return sessions, defs, instance


def refusal(result) -> str:
    """The message of the error that failed the run (Dagster wraps it)."""
    return runner.failure_message(result)


def files_under(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_changed_key_is_refused_before_anything_is_written(root, ingested, monkeypatch, make_session):
    _, defs, instance = ingested
    make_session(later(30), seed=8, email=ANA)  # new work, which the changed key must not touch
    before = files_under(root.root / "warehouse")
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, NEW_SECRET)

    refused = ingest(defs, DAY_KEY, instance)

    assert not refused.success
    assert f"holds key {NEW.key_id}, but the store's pseudonyms were made with {OLD.key_id}" in refusal(refused)
    assert "curata rotate-key --new-key-env VAR" in refusal(refused)
    assert files_under(root.root / "warehouse") == before
    with pytest.raises(KeyChanged):
        runner.request_erasure(defs, ANA, None, None)
    assert not (root.root / "erasure" / "requests").exists()


def test_a_rotation_keeps_one_pseudonym_per_person(root, ingested, monkeypatch, make_session, tmp_path):
    sessions, defs, instance = ingested
    store = context(root).store
    backup = tmp_path / sessions["carol"][0].folder.name
    shutil.copytree(sessions["carol"][0].folder, backup, copy_function=shutil.copy2)
    carol_request = new_request(store, pseudonym=OLD.pseudonymize(CAROL), key_id=OLD.key_id)
    erase_request(context(root), carol_request.id)  # her sources are gone: her pseudonym cannot be mapped
    exported = latest_version(store, "edit_triplets")
    monkeypatch.setenv(NEW_KEY_ENV, NEW_SECRET)

    summary, why = runner.run_rotation(defs, instance, NEW_KEY_ENV)

    assert summary is not None, why
    assert (summary["from"], summary["to"], summary["people"]) == (OLD.key_id, NEW.key_id, 2)
    record = read_key_record(store)
    assert record.active == NEW.key_id and record.rotating_to is None and record.retired[0]["key_id"] == OLD.key_id
    old = frozenset(OLD.pseudonymize(e) for e in (ANA, BOB))
    assert rows_holding(root, Erased(pseudonyms=old)) == {}
    rows = warehouse_of(root).read("validated_sessions", DAY_KEY).to_pylist()
    assert {(r["user_pseudonym"], r["pseudonym_key_id"]) for r in rows} == {
        (NEW.pseudonymize(ANA), NEW.key_id),
        (NEW.pseudonymize(BOB), NEW.key_id),
    }
    found = lookup(warehouse_of(root), BY_PERSON, [NEW.pseudonymize(ANA)]).column("session_folder").to_pylist()
    assert sorted(found) == sorted(s.folder.name for s in sessions["ana"])
    assert_export_rekeyed(store, exported.key)
    stones = {r["kind"]: r for r in warehouse_of(root).read("erasure_tombstones", carol_request.id).to_pylist()}
    assert (stones["pseudonym"]["value"], stones["pseudonym"]["pseudonym_key_id"]) == (
        OLD.pseudonymize(CAROL),
        OLD.key_id,
    )

    # From now on the new key is the key: ana's next session gets the pseudonym her old rows now carry...
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, NEW_SECRET)
    later_one = make_session(DAY + timedelta(days=1), seed=11, email=ANA.upper())
    shutil.copytree(backup, sessions["carol"][0].folder, copy_function=shutil.copy2)  # carol's backup restored
    assert ingest(defs, DAY_KEY, instance).success and ingest(defs, later_one.folder.name[8:18], instance).success
    (new_row,) = warehouse_of(root).read("validated_sessions", later_one.folder.name[8:18]).to_pylist()
    assert new_row["user_pseudonym"] == NEW.pseudonymize(ANA) and new_row["pseudonym_key_id"] == NEW.key_id
    # ... carol's restored folder is still refused, by its images and folder name whatever the key ...
    (refused,) = warehouse_of(root).read("session_quarantine", DAY_KEY).to_pylist()
    assert (refused["record_id"], refused["rule_id"]) == (backup.name, rules.ERASED.id)
    # ... and the old key is refused as retired.
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
    again = ingest(defs, DAY_KEY, instance)
    assert not again.success
    assert f"key {OLD.key_id}, retired by a rotation" in refusal(again)


def assert_export_rekeyed(store, old_key: str) -> None:
    latest = latest_version(store, "edit_triplets")
    assert latest.key != old_key and not store.exists(f"{old_key}/manifest.json")
    assert export_problems(store, latest.key) == []
    with store.open(f"{latest.key}/data/train-00000-of-00001.parquet") as handle:
        pseudonyms = set(pq.read_table(handle, columns=["user_pseudonym"]).column("user_pseudonym").to_pylist())
    assert pseudonyms <= {NEW.pseudonymize(ANA), NEW.pseudonymize(BOB)} and pseudonyms


def test_a_rotation_reads_archived_days_without_restoring_them(root, ingested, s3, bucket):
    sessions, _, _ = ingested
    tiers = tiers_for(root, s3, bucket)
    raw = warehouse_of(root).read("raw_sessions", DAY_KEY).column("session_folder").to_pylist()
    archive_day(DAY_KEY, raw, [], tiers, POLICY, NOW)
    assert not any(s.folder.exists() for people in sessions.values() for s in people)

    summary = rotate_key(context(root, cold=tiers.cold), NEW)

    assert summary["people"] == 3 and summary["sources"]["archived_days"] == 1
    assert summary["tables"]["validated_sessions"] == {"rows_rekeyed": 4, "rows_left_with_the_old_key": 0}
    assert read_receipt(tiers.store, DAY_KEY).hot_copy == REMOVED and not any(root.sessions.iterdir())
    pseudonyms = set(warehouse_of(root).read("validated_sessions", DAY_KEY).column("user_pseudonym").to_pylist())
    assert pseudonyms == {NEW.pseudonymize(e) for e in (ANA, BOB, CAROL)}


KILLED_ROTATION = """
import os, signal, sys
from pathlib import Path
from curata.erasure.context import ErasureContext
from curata.erasure.rotation import rotate_key
from curata.layout import DataRoot
from curata.privacy import PseudonymKey
from curata.sessions.validate import Limits
from curata.storage import Store

root, old, new, kill_at = Path(sys.argv[1]), *sys.argv[2:]
ctx = ErasureContext(Store.at(root), DataRoot(root), PseudonymKey(old.encode()), Limits())
die = lambda step: os.kill(os.getpid(), signal.SIGKILL) if step == kill_at else None
rotate_key(ctx, PseudonymKey(new.encode()), die)
"""


def test_a_rotation_killed_midway_refuses_ingestion_until_it_is_run_again(root, ingested, monkeypatch):
    _, defs, instance = ingested
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_ROTATION, str(root.root), KEY.decode(), NEW_SECRET, "table:validated_sessions"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    for secret in (KEY.decode(), NEW_SECRET):  # half re-keyed: neither key may write pseudonyms now
        monkeypatch.setenv(PSEUDONYM_KEY_ENV, secret)
        refused = ingest(defs, DAY_KEY, instance)
        assert not refused.success
        assert "was declared and has not finished" in refusal(refused)
    with pytest.raises(RotationPending):
        erase_request(context(root), new_request(context(root).store, pseudonym="p", key_id=OLD.key_id).id)

    summary = rotate_key(context(root), NEW)

    assert summary["tables"]["session_people"]["rows_rekeyed"] == 4
    assert rows_holding(root, Erased(pseudonyms=frozenset(OLD.pseudonymize(e) for e in (ANA, BOB, CAROL)))) == {}
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, NEW_SECRET)
    assert ingest(defs, DAY_KEY, instance).success
