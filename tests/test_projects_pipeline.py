"""Historical projects through Dagster: the sensor adds partitions, the backfill runs one run per project."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context, instance_for_test, materialize

from assets.projects import historical_project_pairs
from curata.sample.compare import project_mismatches
from curata.sample.projects import generate_projects
from tests.conftest import KEY
from tests.dagster_helpers import check_results, definitions_for, resources_for, warehouse_of

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project_root(root):
    generate_projects(root, n_projects=3, groups_per_project=12, image_size=(64, 48), workers=2)
    return root


def resources(root, **settings):
    return resources_for(root, **settings)


def test_sensor_adds_a_partition_per_new_project_and_requests_its_run(project_root, monkeypatch, tmp_path):
    defs = definitions_for(project_root, monkeypatch)
    with instance_for_test() as instance:
        sensor = defs.resolve_sensor_def("new_project_folders")
        with build_sensor_context(
            instance=instance,
            instance_ref=instance.get_ref(),
            definitions=defs,
            resources={"curata": resources(project_root)["curata"]},
        ) as context:
            first = sensor.evaluate_tick(context)
            assert sorted(r.partition_key for r in first.run_requests) == ["harbor_lofts", "mojo2", "mojo_old"]
            (add,) = first.dynamic_partitions_requests
            assert sorted(add.partition_keys) == ["harbor_lofts", "mojo2", "mojo_old"]
            instance.add_dynamic_partitions("historical_projects", list(add.partition_keys))
            assert not sensor.evaluate_tick(context).run_requests
            shutil.copytree(project_root.projects / "mojo2", project_root.projects / "tmp")
            os.rename(
                project_root.projects / "tmp" / "sandbox" / "mojo2", project_root.projects / "tmp" / "sandbox" / "tmp"
            )
            os.rename(project_root.projects / "tmp" / "mojo2", project_root.projects / "tmp" / "tmp")
            assert [r.partition_key for r in sensor.evaluate_tick(context).run_requests] == ["tmp"]


def test_rerun_of_one_project_replaces_its_output_only(project_root):
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("historical_projects", ["mojo2", "mojo_old"])
        for project in ("mojo2", "mojo_old"):
            result = materialize(
                [historical_project_pairs], partition_key=project, instance=instance, resources=resources(project_root)
            )
            checks = check_results(result)
            assert result.success and checks["pairs_are_sound"] and checks["project_files_reconcile"], checks
        wh = warehouse_of(project_root)
        other = project_root.root / wh.key("historical_pairs", "mojo_old")
        before = (other.stat().st_mtime_ns, other.read_bytes())
        time.sleep(0.01)
        rerun = materialize(
            [historical_project_pairs], partition_key="mojo2", instance=instance, resources=resources(project_root)
        )
        assert rerun.success
        assert (other.stat().st_mtime_ns, other.read_bytes()) == before
        assert wh.partitions("historical_pairs") == ["mojo2", "mojo_old"]


def test_anomaly_rate_outside_the_band_warns_without_failing_the_run(project_root):
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("historical_projects", ["mojo_old"])
        result = materialize(
            [historical_project_pairs],
            partition_key="mojo_old",
            instance=instance,
            resources=resources(project_root, anomaly_rate_low=0.9, anomaly_rate_high=1.0),
        )
        assert result.success
        assert check_results(result)["anomaly_rate_in_band"] is False
        assert check_results(result)["pairs_are_sound"] is True


@pytest.mark.e2e
def test_cli_backfill_over_all_projects_runs_once_per_project_and_matches_ground_truth(project_root, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CURATA_DATA_ROOT": str(project_root.root),
        "CURATA_PSEUDONYM_KEY": KEY.decode(),
    }
    projects = ["harbor_lofts", "mojo2", "mojo_old"]
    with DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("historical_projects", projects)
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        [
            bin_dir / "dagster",
            "job",
            "backfill",
            "-w",
            "workspace.yaml",
            "-j",
            "historical_pairs",
            "--partitions",
            ",".join(projects),
            "--noprompt",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with DagsterInstance.from_config(str(home)) as instance:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            runs = instance.get_runs()
            if len(runs) == 3 and all(r.is_finished for r in runs):
                break
            time.sleep(1)
        runs = instance.get_runs()
        assert sorted(r.tags["dagster/partition"] for r in runs) == projects  # one run per project
        assert len({r.tags["dagster/backfill"] for r in runs}) == 1
        assert all(r.is_success for r in runs), [(r.run_id, r.status) for r in runs]
    wh = warehouse_of(project_root)
    assert project_mismatches(project_root.ground_truth / "projects.json", wh) == []
