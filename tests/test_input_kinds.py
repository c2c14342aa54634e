"""Every input kind is declared whole: its folder, job, planner and health section, wired into the code location."""

from pathlib import Path

from assets.health import data_health_report
from assets.jobs import MAINTENANCE_JOBS, PUBLISH_JOBS
from assets.kinds import INPUT_KINDS
from curata.health import HEALTH_SECTIONS
from curata.kinds import INPUT_FOLDERS
from curata.layout import DataRoot
from curata.sessions.validate import DEFAULT_LIMITS
from definitions import build_definitions
from runner import WRITES


def test_every_input_folder_has_one_kind():
    assert sorted(kind.folder.name for kind in INPUT_KINDS) == sorted(folder.name for folder in INPUT_FOLDERS)
    assert sorted(DataRoot(Path("/data")).inputs()) == sorted(folder.name for folder in INPUT_FOLDERS)


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
    for kind in INPUT_KINDS:
        root = DataRoot(tmp_path / kind.folder.name)
        root.folder(kind.folder).mkdir(parents=True)
        (root.folder(kind.folder) / "any.txt").write_text("x")
        others = [k for k in INPUT_KINDS if k is not kind]
        assert all(k.plan(root, DEFAULT_LIMITS) == [] for k in others)
        assert all(work.job == kind.job.name and work.stage == kind.stage for work in kind.plan(root, DEFAULT_LIMITS))
