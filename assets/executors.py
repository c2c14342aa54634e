"""How a run's steps execute: in processes on this machine (the default), in this process, or on a Dask cluster.

Chosen per run in the run config (the launchpad, a schedule, a sensor's run request):

    execution:
      config:
        dask:
          cluster:
            existing:
              address: {env: DASK_SCHEDULER_ADDRESS}   # tcp://scheduler:8786

`multiprocess: {}` (the default) and `in_process: {}` take Dagster's own settings for those executors;
`dask: {cluster: {local: {n_workers: 2}}}` starts a throwaway local cluster for the run. Built on Dagster's
public API only; the Dask choice is `assets/dask_steps.py`, imported only when a run asks for it (Dask takes
about a second to import, which every step process would otherwise pay).
"""

from collections.abc import Mapping
from typing import Any

from dagster import (
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
DAGSTER_EXECUTORS = {"multiprocess": multiprocess_executor, "in_process": in_process_executor}
CHOICES = {**{name: chosen.config_schema.as_field() for name, chosen in DAGSTER_EXECUTORS.items()}, "dask": DASK_CONFIG}


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
        from assets.dask_steps import DaskStepExecutor

        ((cluster_type, cluster_config),) = config["cluster"].items()
        return DaskStepExecutor(cluster_type, cluster_config)
    chosen = DAGSTER_EXECUTORS[name]
    return chosen.executor_creation_fn(
        InitExecutorContext(job=context.job, executor_def=chosen, executor_config=config, instance=context.instance)
    )
