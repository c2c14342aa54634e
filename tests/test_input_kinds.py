"""Every input kind is declared whole: its folder, job, planner and health section, wired into the code location."""

import importlib
import pkgutil

import curata
from assets.health import data_health_report
from assets.jobs import MAINTENANCE_JOBS, PUBLISH_JOBS
from assets.kinds import INPUT_FOLDERS, INPUT_KINDS
from curata.health import HEALTH_SECTIONS
from curata.kinds import InputFolder
from curata.layout import DataRoot
from definitions import build_definitions
from runner import WRITES
from tests.dagster_helpers import resources_for


def declared_folders() -> dict[str, InputFolder]:
    """Every input folder a package of `curata` declares, found by walking the packages, not from a list."""
    found = {}
    for module in pkgutil.walk_packages(curata.__path__, "curata."):
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, InputFolder):
                found[value.name] = value
    return found


def test_every_declared_input_folder_has_one_kind():
    kinds = [kind.folder.name for kind in INPUT_KINDS]
    assert len(kinds) == len(set(kinds))
    assert sorted(kinds) == sorted(declared_folders())


def test_the_data_root_creates_and_misses_the_kinds_folders(tmp_path):
    root = DataRoot(tmp_path)
    assert sorted(root.missing_inputs(INPUT_FOLDERS)) == sorted(declared_folders())
    root.create_inputs(INPUT_FOLDERS)
    assert root.missing_inputs(INPUT_FOLDERS) == {}
    assert all(root.require(folder).is_dir() for folder in INPUT_FOLDERS)


def test_every_kind_has_a_job_a_planner_and_a_health_section():
    defs = build_definitions("/nonexistent")
    for kind in INPUT_KINDS:
        job = defs.resolve_job_def(kind.job.name)
        written = {key.path[-1] for key in job.asset_layer.selected_asset_keys}
        assert kind.written.name in written, f"{kind.folder.name}: its job does not write {kind.written.name}"
        assert callable(kind.planner), kind.folder.name
        assert kind.health in HEALTH_SECTIONS, f"{kind.folder.name}: its health section is not in the report"
        assert WRITES[kind.job.name] == kind.written.name


def test_every_health_table_is_read_by_the_report():
    read = {key.path[-1] for key in data_health_report.keys_by_input_name.values()}
    assert {spec.name for section in HEALTH_SECTIONS for spec in section.tables} == read


def test_every_kind_is_wired_into_the_code_location():
    repo = build_definitions("/nonexistent").get_repository_def()
    assets = set(repo.asset_graph.get_all_asset_keys())
    sensors = {sensor.name for sensor in repo.sensor_defs}
    schedules = {schedule.name for schedule in repo.schedule_defs}
    for kind in INPUT_KINDS:
        assert {key for asset in kind.assets for key in asset.keys} <= assets, kind.folder.name
        assert {sensor.name for sensor in kind.sensors} <= sensors, kind.folder.name
        assert {schedule.name for schedule in kind.schedules} <= schedules, kind.folder.name
        assert all(sensor.job_name == kind.job.name for sensor in kind.sensors), kind.folder.name


def test_every_job_belongs_to_a_kind_or_a_named_list():
    """A job no kind and no list names is a kind half-declared (or a job nobody launches)."""
    jobs = {job.name for job in build_definitions("/nonexistent").get_repository_def().get_all_jobs()}
    named = [kind.job.name for kind in INPUT_KINDS] + [job.name for job in (*PUBLISH_JOBS, *MAINTENANCE_JOBS)]
    assert len(named) == len(set(named))
    assert {job for job in jobs if not job.startswith("__")} == set(named)


def test_a_root_holding_one_folder_plans_only_its_kind(tmp_path):
    """Each kind plans from its own folder only, and its runs launch its own job."""
    curata = resources_for(DataRoot(tmp_path))["curata"]
    for kind in INPUT_KINDS:
        root = DataRoot(tmp_path / kind.folder.name)
        root.folder(kind.folder).mkdir(parents=True)
        (root.folder(kind.folder) / "any.txt").write_text("x")
        others = [k for k in INPUT_KINDS if k is not kind]
        assert all(k.plan(root, curata) == [] for k in others)
        assert all(work.job == kind.job.name and work.stage == kind.stage for work in kind.plan(root, curata))
