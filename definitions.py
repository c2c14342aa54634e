"""The Dagster code location that workspace.yaml loads."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar, FilesystemIOManager
from dagster_aws.s3 import S3Resource

from assets.archive import archived_days, storage_stats
from assets.embeddings import EMBEDDING_CHECKS, STEP_IO, image_embeddings
from assets.erasure import ERASURE_ASSETS, ERASURE_CHECKS
from assets.exports import EXPORT_ASSETS
from assets.health import data_health_report
from assets.jobs import MAINTENANCE_JOBS, PUBLISH_JOBS
from assets.kinds import INPUT_KINDS
from assets.training import TRAINING_ASSETS
from curata.layout import DataRoot
from curata.privacy import PSEUDONYM_KEY_ENV
from resources import CurataSettings, WarehouseIOManager
from resources.archive import COLD, ColdStorage, cold_storage_from_env
from resources.clip_model import ClipModel
from resources.export_settings import ExportSettings
from resources.s3 import STORE_URL_ENV, s3_from_env
from resources.training_settings import TrainingSettings
from sensors.schedules import nightly_archive_schedule, nightly_health_schedule
from sensors.training_sensor import ready_datasets


def build_definitions(
    data_root: str | None = None,
    clip: ClipModel | None = None,
    store_url: str | None = None,
    s3: S3Resource | None = None,
    cold_storage: ColdStorage | None = None,
) -> Definitions:
    """Definitions over one data root (default: $CURATA_DATA_ROOT, else ./curata-data).

    Output goes to `store_url` (default: $CURATA_STORE_URL, else the data root), an S3 prefix reached
    with `s3` (default: endpoint, region and credentials from the environment, see resources/s3.py).
    """
    root = data_root or DataRoot.from_env().root.as_posix()
    curata = CurataSettings(
        data_root=root,
        pseudonym_key=EnvVar(PSEUDONYM_KEY_ENV),
        store_url=store_url if store_url is not None else os.environ.get(STORE_URL_ENV, ""),
        s3=s3 or s3_from_env(),
    )
    return Definitions(
        assets=[
            *(asset for kind in INPUT_KINDS for asset in kind.assets),
            data_health_report,
            image_embeddings,
            *TRAINING_ASSETS,
            *EXPORT_ASSETS,
            archived_days,
            storage_stats,
            *ERASURE_ASSETS,
        ],
        asset_checks=[*EMBEDDING_CHECKS, *ERASURE_CHECKS],
        jobs=[*(kind.job for kind in INPUT_KINDS), *PUBLISH_JOBS, *MAINTENANCE_JOBS],
        sensors=[*(sensor for kind in INPUT_KINDS for sensor in kind.sensors), ready_datasets],
        schedules=[
            *(schedule for kind in INPUT_KINDS for schedule in kind.schedules),
            nightly_health_schedule,
            nightly_archive_schedule,
        ],
        resources={
            "curata": curata,
            "io_manager": WarehouseIOManager(curata=curata),
            STEP_IO: FilesystemIOManager(),  # values between the steps of one asset, in the instance's storage
            "clip": clip or ClipModel(),
            "exports": ExportSettings(),
            "training": TrainingSettings(),
            COLD: cold_storage or cold_storage_from_env(),
        },
    )


defs = build_definitions()
