"""Hostile input never crashes a run: each fault found by running a hostile data root through every job."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from assets.curation import curation_outcomes
from assets.projects import historical_project_pairs
from curata import rules
from curata.curation.logs import CROP_LOG, SELECTION_LOG
from curata.layout import EXPORTS, REPORTS, DataRoot, DataRootError
from curata.privacy import PSEUDONYM_KEY_ENV
from curata.sample.curation import generate_curation
from curata.sample.projects import generate_projects
from curata.sample.session_defects import bmp_declaring, png_declaring
from curata.sessions import batch
from curata.sessions.validate import validate_session
from tests.conftest import DAY, PSEUDONYM_KEY, later
from tests.dagster_helpers import check_results, definitions_for, ingest, publish, resources_for, warehouse_of

REPO = Path(__file__).resolve().parents[1]
DAY_KEY = DAY.date().isoformat()
HOSTILE = {
    "disguised_bomb.png": (bmp_declaring(20_000, 20_000), rules.IMAGE_TOO_MANY_PIXELS),
    "bomb.png": (png_declaring(30_000, 30_000), rules.IMAGE_TOO_MANY_PIXELS),
    "notes.png": (b"my notes, not a picture\n" * 30, rules.IMAGE_UNDECODABLE),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_image_in_a_curation_log_is_quarantined_with_its_rule(root, name):
    generate_curation(root, n_sets=4, image_size=(80, 60), defects=False)
    data, rule = HOSTILE[name]
    (root.curation / "images" / name).write_bytes(data)
    log = root.curation / SELECTION_LOG
    with log.open("a") as handle:
        handle.write(f"2025-10-09T10:00:00,s1,set_x,curation/images/{name},[]\n")
    result = materialize([curation_outcomes], instance=DagsterInstance.ephemeral(), resources=resources_for(root))
    assert result.success, "a hostile image must not fail the run"
    assert all(check_results(result).values()), check_results(result)
    refused = {q["record_id"]: q for q in warehouse_of(root).rows("curation_quarantine")}
    row = refused[f"{SELECTION_LOG}:{len(log.read_text().splitlines())}"]
    assert row["rule_id"] == rule.id and name in row["detail"] and " at 0x" not in row["detail"]
    accepted = warehouse_of(root).rows("validated_selections")
    assert all(name not in s["chosen_path"] for s in accepted)


def test_hostile_stage_files_are_quarantined_and_never_paired(root):
    truth = generate_projects(root, n_projects=1, groups_per_project=6, image_size=(64, 48), workers=1)
    (project,) = truth["projects"]
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("historical_projects", [project])
        result = materialize(
            [historical_project_pairs], partition_key=project, instance=instance, resources=resources_for(root)
        )
    assert result.success and all(check_results(result).values()), check_results(result)
    rules_by_file = {q["record_id"]: q["rule_id"] for q in warehouse_of(root).rows("project_quarantine")}
    for path, rule in (q for q in truth["projects"][project]["quarantine"] if q[1].startswith("image.")):
        assert rules_by_file[path] == rule
    paired = {p["chosen_path"] for p in warehouse_of(root).rows("historical_pairs")}
    paired |= {p["rejected_path"] for p in warehouse_of(root).rows("historical_pairs")}
    assert not any("_stage7" in p or "_stage8" in p or "_stage9" in p for p in paired)


def test_a_missing_data_root_fails_with_one_sentence_and_creates_nothing(tmp_path, monkeypatch):
    missing = DataRoot(tmp_path / "nowhere")
    defs = definitions_for(missing, monkeypatch)
    result = ingest(defs, DAY_KEY, DagsterInstance.ephemeral())
    assert not result.success
    errors = [e.event_specific_data.error for e in result.all_events if getattr(e.event_specific_data, "error", None)]
    messages = [m for err in errors for m in (err.message, err.cause.message if err.cause else "")]
    assert any(f"the data root {missing.root} does not exist" in m for m in messages), messages
    assert not missing.root.exists()


def test_a_data_root_that_is_a_file_is_refused_in_one_sentence(tmp_path):
    (tmp_path / "root").write_text("oops")
    with pytest.raises(DataRootError, match="is a file, not a folder"):
        DataRoot(tmp_path / "root").check()


def test_the_health_report_names_a_missing_input_folder(root, make_session, monkeypatch):
    make_session()
    (root.library).rmdir()
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    assert ingest(defs, DAY_KEY, instance).success
    result = publish(defs, instance)
    assert check_results(result)["every_partition_reconciles"] is False
    text = (root.root / REPORTS / f"health-{time.strftime('%Y-%m-%d', time.gmtime())}.txt").read_text()
    assert "input library/ missing" in text and "ERRORS: none" not in text


def test_days_ingested_concurrently_keep_the_earlier_session_whatever_the_order(root, make_session, monkeypatch):
    first = make_session(ts=DAY, seed=3)
    copy = make_session(ts=DAY + timedelta(days=1), seed=3)
    next_day = (DAY + timedelta(days=1)).date().isoformat()
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    with monkeypatch.context() as concurrent:  # two runs at once: neither sees what the other accepted
        concurrent.setattr("assets.sessions.accepted_in_other_days", lambda curata, day: batch.nothing_elsewhere)
        assert ingest(defs, next_day, instance).success and ingest(defs, DAY_KEY, instance).success
    held_back = publish(defs, instance)  # the day holding the copy is left out; the earlier day publishes
    assert held_back.success and check_results(held_back)["every_partition_reconciles"] is False
    report = json.loads((root.root / REPORTS / "health-latest.json").read_text())
    assert report["sessions"]["repeated_across_partitions"] == {next_day: [copy.folder.name]}
    (version,) = (root.root / EXPORTS / "edit_triplets").glob("v*")
    assert list(json.loads((version / "manifest.json").read_text())["left_out_days"]) == [next_day]
    # Re-run both days, the earlier one last: the session kept is still the earlier one.
    assert ingest(defs, next_day, instance).success and ingest(defs, DAY_KEY, instance).success
    accepted = {r["session_id"] for r in warehouse_of(root).rows("validated_sessions")}
    assert first.folder.name in accepted and copy.folder.name not in accepted


def test_a_repeat_of_a_stored_day_is_found_and_only_key_sharing_rows_are_looked_up(root, make_session):
    stored = [make_session(ts=later(i), seed=20 + i) for i in range(3)]
    first = batch.validate_partition(
        root.sessions,
        [s.folder.name for s in stored],
        DAY_KEY,
        data_root=root.root,
        key=PSEUDONYM_KEY,
        accepted_elsewhere=batch.nothing_elsewhere,
        now=time.time() + 3600,
    )
    warehouse = warehouse_of(root)
    warehouse.write("validated_sessions", first.accepted, DAY_KEY)
    asked: list[set[str]] = []
    lookup = batch.accepted_in(warehouse, [DAY_KEY])

    def recording(keys: set[str]) -> list[batch.AcceptedSession]:
        asked.append(keys)
        return lookup(keys)

    repeat = make_session(ts=DAY + timedelta(days=1), seed=21)
    result = batch.validate_partition(
        root.sessions,
        [repeat.folder.name],
        "next-day",
        data_root=root.root,
        key=PSEUDONYM_KEY,
        accepted_elsewhere=recording,
        now=time.time() + 3600,
    )
    (row,) = result.quarantined.to_pylist()
    assert row["rule_id"] == rules.DUPLICATE_CONTENT.id and stored[1].folder.name in row["detail"]
    (keys,) = asked
    assert [s.session_id for s in lookup(keys)] == [stored[1].folder.name]  # not the other two stored sessions


def test_the_same_image_pair_with_another_instruction_is_quarantined_naming_the_first(root, make_session):
    first = make_session(ts=later(0), seed=5, instruction="make it modern")
    second = make_session(ts=later(9), seed=5, instruction="make it victorian")
    result = batch.validate_partition(
        root.sessions,
        [first.folder.name, second.folder.name],
        DAY_KEY,
        data_root=root.root,
        key=PSEUDONYM_KEY,
        accepted_elsewhere=batch.nothing_elsewhere,
        now=time.time() + 3600,
    )
    assert result.accepted.column("session_id").to_pylist() == [first.folder.name]
    (row,) = result.quarantined.to_pylist()
    assert row["rule_id"] == rules.CONFLICTING_INSTRUCTION.id and first.folder.name in row["detail"]


def test_a_folder_dated_in_the_future_is_deferred_as_clock_skew(root, make_session):
    files = make_session()
    future = time.time() + 98_066_144
    os.utime(files.folder, (future, future))
    outcome = validate_session(files.folder, data_root=root.root, key=PSEUDONYM_KEY, now=time.time())
    assert outcome.status == "deferred" and outcome.deferred_reason.startswith("clock skew")
    assert "-98" not in outcome.deferred_reason


def test_a_byte_order_mark_before_a_header_is_not_a_record(root):
    generate_curation(root, n_sets=3, image_size=(80, 60), defects=False)
    for name in (SELECTION_LOG, CROP_LOG):
        path = root.curation / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = materialize([curation_outcomes], instance=DagsterInstance.ephemeral(), resources=resources_for(root))
    assert result.success and warehouse_of(root).rows("curation_quarantine") == []
    assert len(warehouse_of(root).rows("validated_selections")) == 3


@pytest.mark.parametrize("session_id", ["s1\x00", "s1\x1b[2J", "s\t1"])
def test_control_characters_in_an_id_are_refused(root, session_id):
    generate_curation(root, n_sets=2, image_size=(80, 60), defects=False)
    log = root.curation / SELECTION_LOG
    lines = log.read_text().splitlines(keepends=True)
    fields = lines[1].split(",", 2)
    log.write_text(lines[0] + ",".join([fields[0], session_id, fields[2]]) + "".join(lines[2:]))
    materialize([curation_outcomes], instance=DagsterInstance.ephemeral(), resources=resources_for(root))
    (row,) = warehouse_of(root).rows("curation_quarantine")
    assert row["rule_id"] == rules.ID_INVALID.id


@pytest.mark.parametrize("secret", ["short-key", " " * 16])
def test_an_unusable_pseudonym_key_fails_before_anything_is_written(root, make_session, monkeypatch, secret):
    make_session()
    defs = definitions_for(root, monkeypatch)
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, secret)
    result = ingest(defs, DAY_KEY, DagsterInstance.ephemeral())
    assert not result.success
    assert warehouse_of(root).partitions("raw_sessions") == []


def test_first_commands_on_a_fresh_instance_do_not_race(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    code = "import sys, pathlib, runner; runner.initialise_instance(pathlib.Path(sys.argv[1]))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(home)], cwd=REPO, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["file", "missing"])
def test_the_dagster_cli_fails_an_unusable_data_root_in_one_sentence(tmp_path, kind):
    """What a Dagster user types: the run fails with the sentence, not a chain of wrapped resource errors."""
    root = tmp_path / "root"
    if kind == "file":
        root.write_text("oops")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "CURATA_DATA_ROOT": str(root), PSEUDONYM_KEY_ENV: "k" * 20}
    done = subprocess.run(
        [Path(sys.executable).parent / "dagster", "job", "execute", "-m", "definitions", "-j", "publish_datasets"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    sentence = f"the data root {root} {'is a file, not a folder' if kind == 'file' else 'does not exist'}"
    assert done.returncode != 0 and "RUN_FAILURE" in out, out[-3000:]
    assert f"Failure: {sentence}" in out, out[-3000:]
    for wrapped in ("DagsterResourceFunctionError", "DagsterSubprocessError", "The above exception was caused by"):
        assert wrapped not in out, out[-3000:]
    assert root.exists() == (kind == "file") and not (root.is_dir())
