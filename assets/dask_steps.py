"""dagster-dask's executor with the one change that lets it run a partitioned run: opaque task arguments.

Dask (2024.12 and later) walks every tuple among a task's arguments looking for futures; a Dagster run is a
record that refuses iteration, so dagster-dask's own `dask_executor` fails to submit any step of a
daily-partitioned run ("Iteration is not allowed on `@record` DagsterRun", dagster-dask 0.29, Dask 2026.8).
Its cluster settings, retry mode and worker-side step runner are kept; the submission is redone here, with task
keys unique per run, and the wait polls the run's status so a run terminated from the UI stops.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dask.distributed
from dagster import DagsterEvent, DagsterRunStatus
from dagster_dask.executor import DaskExecutor, get_dask_resource_requirements, query_on_dask_worker

POLL_SECONDS = 1.0  # how often a waiting run looks whether it was terminated
STOPPING = (DagsterRunStatus.CANCELING, DagsterRunStatus.CANCELED)


class _Opaque:
    """Hands its value to a Dask task untouched (Dask does not look inside an object that is no collection)."""

    def __init__(self, value: Sequence[Any]):
        self.value = value


def _run_step(dependencies: list, arguments: _Opaque) -> Sequence[DagsterEvent]:
    """On a worker: dagster-dask's step runner; `dependencies` only orders the tasks."""
    return query_on_dask_worker(dependencies, *arguments.value)


class DaskStepExecutor(DaskExecutor):
    """One Dask task per step, ordered by the plan, as dagster-dask's executor does, with opaque arguments."""

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[DagsterEvent]:
        """Submits every step, then yields their events as they finish (the two types are Dagster's private ones)."""
        cluster = self.cluster_configuration["address"] if self.cluster_type == "existing" else None
        if cluster is None:  # dagster-dask's LocalCluster settings: one thread per worker (Dagster is not thread-safe)
            cluster = dask.distributed.LocalCluster(**self.build_dict(plan_context.job_name))
        with dask.distributed.Client(cluster) as client:
            futures: dict[str, dask.distributed.Future] = {}
            for level in execution_plan.get_steps_to_execute_by_level():
                for step in level:
                    arguments = (
                        plan_context.reconstructable_job,
                        plan_context.dagster_run,
                        plan_context.run_config,
                        [step.key],
                        plan_context.instance.get_ref(),
                        execution_plan.known_state,
                    )
                    futures[step.key] = client.submit(
                        _run_step,
                        [futures[key] for step_input in step.step_inputs for key in step_input.dependency_keys],
                        _Opaque(arguments),
                        # The run id keeps two runs on one cluster apart: Dask shares results by key.
                        key=f"{plan_context.job_name}.{plan_context.run_id}.{step.key}",
                        resources=get_dask_resource_requirements(step.tags),
                    )
            yield from _events_until_done(client, list(futures.values()), lambda: _stopping(plan_context))


def _stopping(plan_context: Any) -> bool:
    run = plan_context.instance.get_run_by_id(plan_context.run_id)
    return run is not None and run.status in STOPPING


def _events_until_done(
    client: dask.distributed.Client, pending: list, stopping: Callable[[], bool]
) -> Iterator[DagsterEvent]:
    """Each step's events as it finishes; when the run is being terminated, its tasks are cancelled."""
    while pending:
        try:
            done, not_done = dask.distributed.wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done, not_done = set(), set(pending)
        for future in done:
            yield from future.result()
        pending = [f for f in pending if f in not_done]
        if pending and stopping():
            client.cancel(pending)
            raise KeyboardInterrupt("the run is being terminated: its remaining Dask tasks were cancelled")
