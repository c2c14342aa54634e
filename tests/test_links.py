"""Links that resolve outside the data root: quarantined unread for every input kind; links inside are followed."""

import json
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

from dagster import DagsterInstance, materialize
from PIL import Image

from assets.curation import curation_outcomes
from assets.projects import historical_project_pairs
from curata import rules
from curata.curation.logs import SELECTION_LOG
from curata.curation.paths import PathResolver
from curata.images import DEFAULT_IMAGE_LIMITS
from curata.layout import DataRoot
from curata.library.records import LibraryLimits, read_library
from curata.library.source import JSONL_NAME
from curata.links import link_outside_root
from curata.sample.curation import generate_curation
from curata.sample.projects import generate_projects
from curata.sample.session_defects import png_declaring
from curata.sessions.validate import validate_session
from tests.conftest import DAY, PSEUDONYM_KEY
from tests.dagster_helpers import check_results, definitions_for, ingest, resources_for, warehouse_of

DAY_KEY = DAY.date().isoformat()
BOMB = png_declaring(30_000, 30_000)  # if a link out were read, the inspection would refuse it as a bomb instead


def outside(root: DataRoot) -> Path:
    """A folder beside the data root, not in it."""
    folder = root.root.parent / "elsewhere"
    folder.mkdir(exist_ok=True)
    return folder


def validate(root: DataRoot, folder: Path, now: float):
    return validate_session(folder, data_root=root.root, key=PSEUDONYM_KEY, now=now)


def test_the_helper_names_the_first_link_out_and_where_it_points(root):
    (outside(root) / "x.png").write_bytes(BOMB)
    (root.curation / "away").symlink_to(outside(root))
    (root.curation / "here").symlink_to(root.curation)
    violation = link_outside_root(root.curation / "away" / "x.png", root.root)
    assert violation.rule is rules.LINK_OUTSIDE_ROOT and violation.file == "curation/away"
    assert repr(str(outside(root))) in violation.detail and "outside the data root" in violation.detail
    assert link_outside_root(root.curation / "here" / "x.png", root.root) is None
    assert link_outside_root(root.curation / "plain.png", root.root) is None


# -- session folders --------------------------------------------------------------------------------------------
def test_a_session_folder_linking_out_of_the_root_is_quarantined_never_deferred(root, make_session, monkeypatch):
    files = make_session(settled=False)  # its files were modified just now: followed, it would be deferred
    name = files.folder.name
    target = files.folder.rename(outside(root) / name)
    (root.sessions / name).symlink_to(target)
    result = ingest(definitions_for(root, monkeypatch), DAY_KEY, DagsterInstance.ephemeral())
    assert result.success and all(check_results(result).values()), check_results(result)
    warehouse = warehouse_of(root)
    (row,) = warehouse.rows("session_quarantine")
    assert (row["record_id"], row["rule_id"], row["file"]) == (name, "input.link_outside_root", f"sessions/{name}")
    assert str(target) in row["detail"] and row["hint"] == rules.LINK_OUTSIDE_ROOT.hint
    assert warehouse.rows("deferred_sessions") == [] and warehouse.rows("validated_sessions") == []


def test_a_session_folder_linking_inside_the_root_is_followed_and_settles_with_its_folder(root, make_session):
    files = make_session(settled=False)
    name = files.folder.name
    staging = root.root / "staging"
    staging.mkdir()
    (root.sessions / name).symlink_to(files.folder.rename(staging / name))
    now = time.time()
    assert validate(root, root.sessions / name, now).deferred_reason.startswith("modified")  # its files are new
    accepted = validate(root, root.sessions / name, now + 3600).accepted
    assert accepted["session_folder"] == name
    assert accepted["original_path"] == f"sessions/{name}/{files.original.name}"


def test_a_session_folder_link_to_no_folder_is_refused_as_such(root):
    (root.sessions / "session-2025-01-15T11-00-00-000Z").symlink_to(root.root / "nowhere")
    outcome = validate(root, root.sessions / "session-2025-01-15T11-00-00-000Z", time.time())
    assert outcome.violations[0].rule is rules.FOLDER_IS_LINK


def test_a_session_file_linking_out_of_the_root_is_quarantined_unread(root, make_session):
    files = make_session()
    (outside(root) / "original.jpg").write_bytes(BOMB)
    files.original.unlink()
    files.original.symlink_to(outside(root) / "original.jpg")
    outcome = validate(root, files.folder, time.time() + 3600)
    violation = outcome.violations[0]
    assert violation.rule is rules.LINK_OUTSIDE_ROOT
    assert violation.file == f"sessions/{files.folder.name}/{files.original.name}"


def test_an_input_folder_on_another_disk_is_the_layout_not_a_link_out(root, make_session):
    plain, linked = make_session(ts=DAY), make_session(ts=DAY + timedelta(minutes=1), seed=2)
    disk = outside(root) / "sessions"
    shutil.move(root.sessions, disk)
    root.sessions.symlink_to(disk)
    (disk / "store").mkdir()
    real = (disk / linked.folder.name).rename(disk / "store" / linked.folder.name)
    (disk / linked.folder.name).symlink_to(real)  # a link within that folder is inside too
    for files in (plain, linked):
        outcome = validate(root, root.sessions / files.folder.name, time.time() + 3600)
        assert outcome.status == "accepted", outcome.violations


# -- curation images --------------------------------------------------------------------------------------------
def test_a_curation_image_linking_out_of_the_root_is_quarantined_unread(root):
    generate_curation(root, n_sets=4, image_size=(80, 60), defects=False)
    (outside(root) / "bomb.png").write_bytes(BOMB)
    (root.curation / "images" / "link.png").symlink_to(outside(root) / "bomb.png")
    log = root.curation / SELECTION_LOG
    with log.open("a") as handle:
        handle.write("2025-10-09T10:00:00,s1,set_x,curation/images/link.png,[]\n")
    result = materialize([curation_outcomes], instance=DagsterInstance.ephemeral(), resources=resources_for(root))
    assert result.success and all(check_results(result).values()), check_results(result)
    refused = {q["record_id"]: q for q in warehouse_of(root).rows("curation_quarantine")}
    row = refused[f"{SELECTION_LOG}:{len(log.read_text().splitlines())}"]
    assert row["rule_id"] == "input.link_outside_root"
    assert "curation/images/link.png" in row["detail"] and "bomb.png" in row["detail"]


def test_a_curation_image_linking_inside_the_root_is_followed(root):
    Image.new("RGB", (8, 8)).save(root.curation / "real.png")
    (root.curation / "link.png").symlink_to(root.curation / "real.png")
    resolved = PathResolver(root.root, DEFAULT_IMAGE_LIMITS).resolve("curation/link.png")
    assert (resolved.path, resolved.method, resolved.rule) == ("curation/real.png", "direct", None)


# -- project stages ---------------------------------------------------------------------------------------------
def test_a_project_stage_linking_out_of_the_root_is_quarantined_and_one_inside_is_followed(root):
    truth = generate_projects(root, n_projects=1, groups_per_project=4, image_size=(64, 48), defects=False, workers=1)
    (project,) = truth["projects"]
    sandbox = root.projects / project / "sandbox" / project
    stages = sorted(p for p in sandbox.iterdir() if "_stage1." in p.name)
    out_stage, in_stage = stages[0], stages[1]
    (outside(root) / out_stage.name).write_bytes(BOMB)
    out_stage.unlink()
    out_stage.symlink_to(outside(root) / out_stage.name)
    kept = root.root / "stash" / in_stage.name
    kept.parent.mkdir()
    shutil.move(in_stage, kept)
    in_stage.symlink_to(kept)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("historical_projects", [project])
        result = materialize(
            [historical_project_pairs], partition_key=project, instance=instance, resources=resources_for(root)
        )
    assert result.success and all(check_results(result).values()), check_results(result)
    refused = {q["record_id"]: q for q in warehouse_of(root).rows("project_quarantine")}
    out_rel = out_stage.relative_to(root.root).as_posix()
    assert refused[out_rel]["rule_id"] == "input.link_outside_root" and out_rel in refused[out_rel]["detail"]
    in_rel = in_stage.relative_to(root.root).as_posix()
    assert in_rel not in refused
    paired = {p[c] for p in warehouse_of(root).rows("historical_pairs") for c in ("chosen_path", "rejected_path")}
    assert in_rel in paired and out_rel not in paired


# -- library images ---------------------------------------------------------------------------------------------
def test_a_library_image_linking_out_of_the_root_is_quarantined_unread(tmp_path):
    root = DataRoot(tmp_path / "data")
    images = root.library / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (96, 72)).save(images / "a.jpg")
    (outside(root) / "bomb.png").write_bytes(BOMB)
    (images / "link.png").symlink_to(outside(root) / "bomb.png")
    (images / "album").symlink_to(outside(root))
    records = [
        {"id": i, "file_path": path, "meta_tags": [], "created_at": "2025-01-02T03:04:05Z"}
        for i, path in enumerate(("a.jpg", "link.png", "album/bomb.png"), start=1)
    ]
    (root.library / JSONL_NAME).write_text("\n".join(map(json.dumps, records)) + "\n")
    read = read_library(root, LibraryLimits(DEFAULT_IMAGE_LIMITS), threads=1)
    assert read.images["path"].to_pylist() == ["library/images/a.jpg"]
    refused = {q["record_id"]: q for q in read.quarantined.to_pylist()}
    assert {q["rule_id"] for q in refused.values()} == {"input.link_outside_root"}
    assert [q["file"] for q in refused.values()] == ["library/images/link.png", "library/images/album"]
    assert all(str(outside(root)) in q["detail"] for q in refused.values())
    assert os.path.isfile(outside(root) / "bomb.png")  # nothing was moved or removed
