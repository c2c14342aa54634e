"""Training when ready: the sensor requests a run when readiness flips, and the user's command lands in the run."""

import json

from dagster import (
    AssetMaterialization,
    DagsterEventType,
    DagsterInstance,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from assets.training import TRAINING_STEPS
from curata.storage import Store
from curata.training.command import EXPORT_PATH_ENV
from resources.training_settings import TrainingSettings
from sensors.training_sensor import ready_datasets
from tests.dagster_helpers import resources_for

VERSION = "v20250115T100000000000Z-0123456789ab"


def published(instance: DagsterInstance, dataset: str, version: str, ready: bool) -> None:
    """What `published()` in assets/exports.py records for a version."""
    instance.report_runless_asset_event(
        AssetMaterialization(asset_key=dataset, metadata={"version": version, "is_ready": ready, "path": "x"})
    )


def tick(instance: DagsterInstance, cursor: str | None):
    return ready_datasets(build_sensor_context(instance=instance, cursor=cursor))


def test_a_run_is_requested_when_readiness_flips_and_when_a_ready_version_changes():
    with instance_for_test() as instance:
        assert tick(instance, None).run_requests == []  # nothing published yet
        published(instance, "preference_pairs", VERSION, ready=False)
        first = tick(instance, None)
        assert first.run_requests == []
        published(instance, "preference_pairs", VERSION, ready=True)
        flipped = tick(instance, first.cursor)
        (request,) = flipped.run_requests
        assert request.run_key == f"preference_pairs:{VERSION}"
        selected = {k.to_user_string() for k in request.asset_selection}
        assert selected == {
            "preference_pairs_probe",
            "preference_pairs_label_issues",
            "preference_pairs",
            "preference_pairs_training",
        }
        assert tick(instance, flipped.cursor).run_requests == []  # still ready, same version: nothing new
        published(instance, "preference_pairs", "v2", ready=True)
        published(instance, "crop_boxes", "v1", ready=False)
        changed = tick(instance, flipped.cursor)
        assert [r.run_key for r in changed.run_requests] == ["preference_pairs:v2"]
        assert json.loads(changed.cursor)["crop_boxes"] == {"version": "v1", "ready": False}


def a_published_version(root) -> str:
    """A version folder with its manifest: what the training step looks up."""
    store = Store.at(root.root)
    key = f"exports/preference_pairs/{VERSION}"
    store.write_text(f"{key}/manifest.json", json.dumps({"rows": {"train": 1}, "content_digest": "d"}))
    return f"{store.url}/{key}"


def train(root, command: str, instance: DagsterInstance):
    resources = {**resources_for(root), "training": TrainingSettings(training_command=command)}
    return materialize(
        [TRAINING_STEPS["preference_pairs"]], resources=resources, instance=instance, raise_on_error=False
    )


def test_the_training_commands_exit_code_and_log_land_in_the_run(root):
    path = a_published_version(root)
    instance = DagsterInstance.ephemeral()
    failed = train(root, f"sh -c 'echo trained on ${EXPORT_PATH_ENV}; echo arg {{export_path}}; exit 3'", instance)
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert metadata["exit_code"].value == 3
    assert f"trained on {path}" in metadata["log"].value and f"arg {path}" in metadata["log"].value
    logged = [e.message for e in instance.all_logs(failed.run_id)]
    assert f"trained on {path}" in logged

    passed = train(root, "sh -c 'echo done'", instance)
    assert passed.success
    (done,) = passed.get_asset_materialization_events()
    assert done.materialization.metadata["exit_code"].value == 0


def test_without_a_command_the_step_records_that_none_is_configured(root):
    a_published_version(root)
    result = train(root, "", DagsterInstance.ephemeral())
    (event,) = result.get_asset_materialization_events()
    assert event.materialization.metadata["training_command"].value == "none configured"
