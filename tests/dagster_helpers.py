"""Runs the real code location's jobs against a test data root."""

from __future__ import annotations

from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from curata.privacy import PSEUDONYM_KEY_ENV
from definitions import build_definitions
from tests.conftest import KEY


def definitions_for(root, monkeypatch) -> Definitions:
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
    return build_definitions(str(root.root))


def ingest(defs: Definitions, day: str, instance: DagsterInstance) -> ExecuteInProcessResult:
    return defs.resolve_job_def("ingest_sessions").execute_in_process(
        partition_key=day, instance=instance, raise_on_error=False
    )


def publish(defs: Definitions, instance: DagsterInstance) -> ExecuteInProcessResult:
    return defs.resolve_job_def("publish_datasets").execute_in_process(instance=instance, raise_on_error=False)


def check_results(result: ExecuteInProcessResult) -> dict[str, bool]:
    """check name -> passed, for every check evaluated in the run."""
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def materialized(result: ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
