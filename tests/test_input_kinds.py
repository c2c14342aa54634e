"""Every input kind is declared whole: its folder, job, planner and health section, wired into the code location."""

import ast
import importlib
import inspect
import pkgutil

import pytest

import curata
import curata.health
import curata.summary
from assets.health import SECTIONS, data_health_report
from assets.jobs import MAINTENANCE_JOBS, PUBLISH_JOBS
from assets.kinds import INPUT_FOLDERS, INPUT_KINDS
from curata.health import HealthSection, new_report, render_text, rule_lines
from curata.kinds import InputFolder
from curata.layout import DataRoot
from curata.summary import render_summary
from definitions import build_definitions
from runner import WRITES
from tests.dagster_helpers import resources_for


def declared_folders() -> dict[str, InputFolder]:
    """Every input folder a package of `curata` declares, found by walking the packages, not from a list."""
    return {folder.name: folder for folder, _ in _folders_and_packages()}


def _folders_and_packages() -> list[tuple[InputFolder, str]]:
    """Each declared input folder with the package whose `__init__` holds it (modules only import it)."""
    found: dict[InputFolder, str] = {}
    for module in pkgutil.walk_packages(curata.__path__, "curata."):
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, InputFolder) and module.ispkg:
                found.setdefault(value, module.name)
    return list(found.items())


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
        assert kind.health.tables, f"{kind.folder.name}: its health section reads no table"
        assert WRITES[kind.job.name] == kind.written.name


def test_every_health_table_is_read_by_the_report():
    read = {key.path[-1] for key in data_health_report.keys_by_input_name.values()}
    assert {spec.name for section in SECTIONS for spec in section.tables} == read


def test_each_kinds_health_section_lives_in_its_package():
    packages = dict(_folders_and_packages())
    for kind in INPUT_KINDS:
        package = packages[kind.folder]
        assert kind.health.build.__module__.startswith(f"{package}."), f"{kind.folder.name}: health outside {package}"


@pytest.mark.parametrize("module", [curata.health, curata.summary], ids=["health report", "run summary"])
def test_the_report_modules_import_no_kind_package(module):
    """The report and the run summary assemble the sections they are given; a kind's lines live in its section."""
    kind_packages = {package for _, package in _folders_and_packages()}
    tree = ast.parse(inspect.getsource(module))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported, "the parse found no import at all"
    named = {module for module in imported for package in kind_packages if module.startswith(package)}
    assert named == set()


def test_a_new_sections_lines_reach_the_rendered_report(store):
    """A section declared apart from the others adds its summary, warnings, errors and gaps, and its lines in
    the run summary, without other edits."""
    made_up = HealthSection(
        (),
        lambda tables, layout, limits: {"scans": {"count": 3}},
        summary=lambda report: [f"Scans: {report['scans']['count']} read"],
        warnings=lambda report: ["1 scan quarantined: scan.blank"],
        errors=lambda report: ["scan day 2026-01-01 does not reconcile"],
        gaps=lambda report: ["2 scan folders never read"],
        run_summary=lambda report: [f"scans: {report['scans']['count']} read", *rule_lines({"scan.blank": 1})],
    )
    report = new_report(never_materialized=[], **made_up.build({}, DataRoot("/nonexistent"), None))
    text = render_text(report, (made_up,))
    for line in (
        "Scans: 3 read",
        "   - 1 scan quarantined: scan.blank",
        "   - scan day 2026-01-01 does not reconcile",
        "   - 2 scan folders never read",
        "RECOMMENDATIONS:",
    ):
        assert line in text
    assert "Scans" not in render_text(report, ())
    summary = render_summary(report, store, (made_up,))
    assert "scans: 3 read\n  quarantined   1  scan.blank\n" in summary and "crop_boxes: not published" in summary
    assert "scans" not in render_summary(report, store, ())


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
