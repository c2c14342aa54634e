"""Training when ready: a dataset whose readiness flips to ready, or whose version changes while ready, is
probed, published and handed to the `training` resource's command."""

import json

from dagster import (
    AssetKey,
    DagsterInstance,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from assets.jobs import train_when_ready_job
from assets.training import PROBES, TRAINING_STEPS

State = dict[str, object]  # {"version": ..., "ready": ...} of a dataset's latest materialization


def latest_state(instance: DagsterInstance, dataset: str) -> State | None:
    """The version and readiness `published()` (assets/exports.py) recorded last; None before the first."""
    event = instance.get_latest_materialization_event(AssetKey(dataset))
    if event is None or event.asset_materialization is None:
        return None
    metadata = event.asset_materialization.metadata
    if "version" not in metadata or "is_ready" not in metadata:
        return None
    return {"version": metadata["version"].value, "ready": bool(metadata["is_ready"].value)}


def becomes_ready(seen: State | None, now: State) -> bool:
    """Ready now, and not ready (or another version, or unseen) at the last tick."""
    return bool(now["ready"]) and (seen is None or not seen["ready"] or seen["version"] != now["version"])


def training_selection(dataset: str) -> list[AssetKey]:
    """The dataset's probe, its export and its training step."""
    return [*PROBES[dataset].keys, AssetKey(dataset), TRAINING_STEPS[dataset].key]


@sensor(job=train_when_ready_job, minimum_interval_seconds=120, default_status=DefaultSensorStatus.RUNNING)
def ready_datasets(context: SensorEvaluationContext) -> SensorResult:
    """Keeps each dataset's last seen (version, ready) in the cursor; one run per dataset version that is ready."""
    seen: dict[str, State] = json.loads(context.cursor) if context.cursor else {}
    now = {d: s for d in TRAINING_STEPS if (s := latest_state(context.instance, d)) is not None}
    requests = [
        RunRequest(
            run_key=f"{dataset}:{state['version']}",
            asset_selection=training_selection(dataset),
            tags={"curata/dataset": dataset, "curata/version": str(state["version"])},
        )
        for dataset, state in now.items()
        if becomes_ready(seen.get(dataset), state)
    ]
    return SensorResult(run_requests=requests, cursor=json.dumps({**seen, **now}, sort_keys=True))
