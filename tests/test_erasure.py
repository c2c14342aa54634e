"""`curata forget` through the real jobs: a person leaves every hot tier, table, log, embedding and export,
and what belongs to someone else (a photo both used, another person's rows) stays."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance

import runner
from curata import rules
from curata.embeddings.store import EmbeddingStore
from curata.erasure.holdings import Erased
from curata.erasure.requests import COMPLETED, read_request
from curata.erasure.store_keys import withdrawn_key
from curata.export.verify import export_problems
from curata.export.versioned import latest_version
from curata.layout import REPORTS
from curata.sessions.training_log import count_log_lines
from tests.conftest import PSEUDONYM_KEY, later
from tests.dagster_helpers import check_results, definitions_for, ingest, publish, warehouse_of
from tests.test_erasure_helpers import (
    ANA,
    DAY_KEY,
    PROJECT,
    context,
    ingest_all,
    rows_holding,
    write_curation_and_project,
    write_sessions,
)

PSEUDONYMS = PSEUDONYM_KEY


@pytest.fixture
def world(root, make_session, monkeypatch):
    world = write_sessions(root, make_session)
    defs = definitions_for(root, monkeypatch)
    return world, defs, DagsterInstance.ephemeral()


def erase(defs, instance, email=None, session_id=None) -> dict:
    request = runner.request_erasure(defs, email, None, session_id)
    entry, why = runner.run_erasure(defs, instance, request.id)
    assert entry is not None, why
    return entry


def test_forget_reaches_every_hot_tier_table_log_embedding_and_export(world):
    world, defs, instance = world
    root = world.root
    write_curation_and_project(root, world)
    ingest_all(defs, instance, root)
    store = context(root).store
    exported = latest_version(store, "edit_triplets")
    shared = world.hashes(world.ana[:1]) & world.hashes(world.bob)
    ana_only = world.hashes([*world.ana, world.ana_refused]) - shared

    entry = erase(defs, instance, email=ANA)

    assert sorted(entry["found"]["sessions"]) == world.ana_folders and entry["run_id"]
    assert not any((root.sessions / f).exists() for f in world.ana_folders)
    assert all((root.sessions / f).is_dir() for f in [*world.bob_folders, world.anonymous.folder.name])
    erased = Erased(frozenset(world.ana_folders), frozenset([PSEUDONYMS.pseudonymize(ANA)]), frozenset(ana_only))
    assert rows_holding(root, erased) == {}
    wh = warehouse_of(root)
    kept = wh.read("validated_sessions", DAY_KEY).column("session_folder").to_pylist()
    assert sorted(kept) == sorted([*world.bob_folders, world.anonymous.folder.name])
    # The photo ana and bob both used is bob's too: its vector stays, and so does bob's session.
    embeddings = EmbeddingStore(store)
    (fingerprint,) = embeddings.fingerprints()
    stored = set(embeddings.read(fingerprint, ["sha256"]).column("sha256").to_pylist())
    assert shared <= stored and not (ana_only & stored) and world.hashes(world.bob) <= stored
    assert_log_renumbered(root, wh, world)
    assert_export_replaced(store, exported.key, world)
    assert_curation_and_project_cascaded(root, wh)
    assert read_request(store, entry["request_id"]).status == COMPLETED

    again = publish(defs, instance)  # the tables it reads still reconcile, and the report lists the request
    assert again.success and check_results(again)["every_partition_reconciles"] is True
    assert check_results(again)["log_lines_reconcile"] is True
    report = json.loads((root.root / REPORTS / "health-latest.json").read_text())
    done = [{"id": entry["request_id"], "completed_at": entry["completed_at"], "sessions": 4}]
    assert report["erasure"] == {"completed": 1, "pending": [], "completed_requests": done}


def assert_log_renumbered(root, wh, world) -> None:
    """The log lost ana's lines only; every audited line number still points at its own line."""
    text = root.training_log.read_text().splitlines()
    assert not any(f in line for line in text for f in world.ana_folders)
    assert sum(f in "".join(text) for f in world.bob_folders) == 2
    lines = wh.read("training_log_lines")
    assert sorted(lines.column("line_no").to_pylist()) == count_log_lines(root.training_log)
    for row in lines.to_pylist():
        if row["session_id"]:
            assert row["session_id"] in text[row["line_no"] - 1]
    (malformed,) = wh.read("training_log_quarantine").to_pylist()
    number = int(malformed["record_id"].rsplit(":", 1)[1])
    assert text[number - 1] == "{not json" and malformed["file"] == f"sessions/training-log.jsonl:{number}"


def assert_export_replaced(store, old_key: str, world) -> None:
    """The version that held ana's rows is gone, replaced in its place by one without them, and intact."""
    assert not store.exists(f"{old_key}/manifest.json")
    record = json.loads(store.read_text(withdrawn_key("edit_triplets", old_key.rsplit("/", 1)[-1])))
    latest = latest_version(store, "edit_triplets")
    assert record["replaced_by"] == latest.version and latest.version[:24] == old_key.rsplit("/", 1)[-1][:24]
    assert export_problems(store, latest.key) == []
    ids = []
    for rel in latest.manifest["files"]:
        with store.open(f"{latest.key}/{rel}") as handle:
            ids += pq.read_table(handle, columns=["session_id"]).column("session_id").to_pylist()
    assert sorted(ids) == sorted([*world.bob_folders, world.anonymous.folder.name])
    assert (record["rows_before"], record["rows_after"]) == (6, 3)


def assert_curation_and_project_cascaded(root, wh) -> None:
    """The curation copy of ana's image and her project stage are gone; the rows pointing at them with it."""
    assert not (root.curation / "sets" / "ana_edit.jpg").exists() and (root.curation / "sets" / "bob_edit.jpg").exists()
    assert wh.read("validated_selections").column("session_id").to_pylist() == ["c2"]
    assert [r["rule_id"] for r in wh.read("curation_quarantine").to_pylist()] == [rules.CURATION_FILE_MISSING.id]
    assert not (root.projects / PROJECT / "sandbox" / PROJECT / "20250115_103045_stage1.jpg").exists()
    assert wh.read("historical_pairs", PROJECT).column("group_key").to_pylist() == ["20250115_113000"]


def test_a_request_for_a_person_with_no_data_says_so_and_succeeds(world):
    world, defs, instance = world
    ingest_all(defs, instance, world.root, curation=False)
    wh = warehouse_of(world.root)
    before = {t: wh.read_all(t) for t in ("validated_sessions", "session_quarantine", "training_log_lines")}

    entry = erase(defs, instance, email="nobody@example.com")

    assert entry["found"]["nothing_found"] is True and entry["removed"]["hot_folders"] == []
    assert {t: wh.read_all(t) for t in before} == before
    (stone,) = wh.read_all("erasure_tombstones").to_pylist()
    assert (stone["kind"], stone["value"]) == ("pseudonym", PSEUDONYMS.pseudonymize("nobody@example.com"))


def test_data_restored_from_a_backup_is_quarantined_as_erased_until_forgotten_again(world, tmp_path, make_session):
    world, defs, instance = world
    ingest_all(defs, instance, world.root, curation=False)
    backup = tmp_path / "backup"
    shutil.copytree(world.ana[0].folder, backup / world.ana[0].folder.name, copy_function=shutil.copy2)
    first = erase(defs, instance, email=ANA)

    shutil.copytree(backup / world.ana[0].folder.name, world.ana[0].folder, copy_function=shutil.copy2)
    fresh = make_session(later(45), seed=9, email=ANA)  # a new session of hers, never seen: her pseudonym refuses it
    assert ingest(defs, DAY_KEY, instance).success

    refused = {r["record_id"]: r for r in warehouse_of(world.root).read("session_quarantine", DAY_KEY).to_pylist()}
    for folder in (world.ana[0].folder.name, fresh.folder.name):
        assert refused[folder]["rule_id"] == rules.ERASED.id
        assert first["request_id"] in refused[folder]["detail"] and "@" not in refused[folder]["detail"]
    proof = defs.resolve_job_def("erase_person").execute_in_process(instance=instance, raise_on_error=False)
    assert check_results(proof) == {"no_erased_data_remains": False}
    problems = next(iter(proof.get_asset_check_evaluations())).metadata["first_problems"].value
    assert f"sessions/{world.ana[0].folder.name}: an erased session folder is on disk" in problems

    erase(defs, instance, email=ANA)

    assert not world.ana[0].folder.exists() and not fresh.folder.exists() and world.bob[0].folder.is_dir()
    proof = defs.resolve_job_def("erase_person").execute_in_process(instance=instance, raise_on_error=False)
    assert check_results(proof) == {"no_erased_data_remains": True}


def test_an_anonymous_session_is_forgotten_by_its_id_and_then_found_nowhere(world):
    world, defs, instance = world
    ingest_all(defs, instance, world.root, curation=False)
    folder = world.anonymous.folder.name

    entry = erase(defs, instance, session_id=folder)

    assert entry["found"]["sessions"] == [folder] and entry["pseudonym"] is None
    assert not world.anonymous.folder.exists()
    wh = warehouse_of(world.root)
    assert folder not in wh.read("raw_sessions", DAY_KEY).column("session_folder").to_pylist()
    assert len(wh.read("validated_sessions", DAY_KEY)) == 4  # ana's two, bob's two
    assert all(f.folder.is_dir() for f in world.ana)
    assert erase(defs, instance, session_id=folder)["found"]["nothing_found"] is True  # nothing of it is left
