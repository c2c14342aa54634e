"""Runs the real code location's jobs against a test data root."""

from __future__ import annotations

from dagster import DagsterInstance, Definitions, ExecuteInProcessResult, FilesystemIOManager, materialize
from dagster_aws.s3 import S3Resource

from assets.embeddings import STEP_IO
from curata.privacy import PSEUDONYM_KEY_ENV
from curata.storage import Store
from curata.warehouse import Warehouse
from definitions import build_definitions
from resources import CurataSettings, WarehouseIOManager
from resources.archive import COLD, ColdStorage
from resources.clip_model import ClipModel
from resources.export_settings import ExportSettings
from resources.training_settings import TrainingSettings
from tests.conftest import KEY
from tests.embedding_helpers import TINY


def resources_for(root, **settings) -> dict:
    """The `curata` resource and the warehouse IO manager over a test data root (output in the root)."""
    curata = CurataSettings(data_root=str(root.root), pseudonym_key=KEY.decode(), s3=S3Resource(), **settings)
    return {
        "curata": curata,
        "io_manager": WarehouseIOManager(curata=curata),
        STEP_IO: FilesystemIOManager(base_dir=str(root.root.parent / "steps")),
        "exports": ExportSettings(),
        "training": TrainingSettings(),
        COLD: ColdStorage(s3=S3Resource()),  # no bucket: archiving refuses to run
    }


def warehouse_of(root) -> Warehouse:
    return Warehouse(Store.at(root.root))


def materialize_only(selection: list, resources: dict, instance: DagsterInstance, **kwargs) -> ExecuteInProcessResult:
    """Materializes `selection`; every other asset of the code location is there to be read as an input."""
    defs = build_definitions("/nonexistent")
    assets = [*(defs.assets or []), *(defs.asset_checks or [])]
    return materialize(assets, selection=selection, resources=resources, instance=instance, **kwargs)


def definitions_for(root, monkeypatch) -> Definitions:
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
    return build_definitions(str(root.root), clip=ClipModel(architecture=TINY.architecture, device="cpu"))


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
