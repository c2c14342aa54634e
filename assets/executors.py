"""How a run's steps execute: in processes on this machine (the default), in this process, or on a Dask cluster.

Chosen per run in the run config (the launchpad, a schedule, a sensor's run request):

    execution:
      config:
        dask:
          cluster:
            existing:
              address: {env: DASK_SCHEDULER_ADDRESS}   # tcp://scheduler:8786

`multiprocess: {}` (the default) and `in_process: {}` take Dagster's own settings for those executors;
`dask: {cluster: {local: {n_workers: 2}}}` starts a throwaway local cluster for the run.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dagster import (
    DagsterEvent,
    Executor,
    ExecutorRequirement,
    Field,
    InitExecutorContext,
    Permissive,
    Selector,
    StringSource,
    executor,
    in_process_executor,
    multiple_process_executor_requirements,
    multiprocess_executor,
)
from dagster._core.errors import raise_execution_interrupts
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode
from dagster._utils import iterate_with_context

DASK_CONFIG = Field(
    {
        "cluster": Field(
            Selector(
                {
                    "existing": Field({"address": StringSource}, description="The scheduler of a running cluster."),
                    "local": Field(Permissive(), description="distributed.LocalCluster arguments, for one run."),
                }
            ),
            default_value={"local": {}},
        )
    }
)
CHOICES = {
    "multiprocess": multiprocess_executor.config_schema.as_field(),
    "in_process": in_process_executor.config_schema.as_field(),
    "dask": DASK_CONFIG,
}


class _Opaque:
    """Hands its value to a Dask task untouched.

    Dask (2024.12 and later) walks every tuple among a task's arguments looking for futures; a Dagster
    run is a NamedTuple whose time-window partitions refuse iteration, so dagster-dask's own executor
    fails to submit any step of a daily-partitioned run.
    """

    def __init__(self, value: Sequence[Any]):
        self.value = value


def _run_step(dependencies: list, arguments: _Opaque) -> Sequence[DagsterEvent]:
    """On a worker: dagster-dask's step runner; `dependencies` only orders the tasks."""
    from dagster_dask.executor import query_on_dask_worker

    return query_on_dask_worker(dependencies, *arguments.value)


class DaskStepExecutor(Executor):
    """One Dask task per step, ordered by the plan, as dagster-dask's executor does; with opaque arguments
    and task keys unique per run. Dask is imported only when a run asks for it (about a second)."""

    def __init__(self, cluster_type: str, cluster_config: Mapping[str, Any]):
        self.cluster_type = cluster_type
        self.cluster_config = dict(cluster_config)

    @property
    def retries(self) -> RetryMode:
        return RetryMode.DISABLED

    def execute(self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan) -> Iterator[DagsterEvent]:
        import dask.distributed
        from dagster_dask.executor import get_dask_resource_requirements

        if self.cluster_type == "existing":
            cluster = self.cluster_config["address"]
        else:  # Dagster is not thread-safe: one thread per worker process
            cluster = dask.distributed.LocalCluster(**{**self.cluster_config, "threads_per_worker": 1})
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
            finished = dask.distributed.as_completed(list(futures.values()), with_results=True)
            for _, events in iterate_with_context(raise_execution_interrupts, finished):
                yield from events


def _requirements(config: Mapping[str, Any]) -> list[ExecutorRequirement]:
    return [] if "in_process" in config else multiple_process_executor_requirements()


@executor(
    name="multiprocess_in_process_or_dask",
    config_schema=Field(Selector(CHOICES), default_value={"multiprocess": {}}),
    requirements=_requirements,
)
def pipeline_executor(context: InitExecutorContext) -> Executor:
    ((name, config),) = context.executor_config.items()
    if name == "dask":
        ((cluster_type, cluster_config),) = config["cluster"].items()
        return DaskStepExecutor(cluster_type, cluster_config)
    chosen = multiprocess_executor if name == "multiprocess" else in_process_executor
    return chosen.executor_creation_fn(
        InitExecutorContext(job=context.job, executor_def=chosen, executor_config=config, instance=context.instance)
    )
