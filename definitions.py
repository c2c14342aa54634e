"""The Dagster code location that workspace.yaml loads."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar, FilesystemIOManager
from dagster_aws.s3 import S3Resource

from assets.archive import archived_days, storage_stats
from assets.curation import curation_outcomes
from assets.embeddings import EMBEDDING_CHECKS, STEP_IO, image_embeddings
from assets.erasure import ERASURE_ASSETS, ERASURE_CHECKS, rotate_pseudonym_key_job
from assets.exports import EXPORT_ASSETS
from assets.health import data_health_report
from assets.jobs import (
    archive_job,
    curation_job,
    embeddings_job,
    erase_person_job,
    historical_pairs_job,
    ingest_sessions_job,
    library_job,
    nightly_health_job,
    publish_curation_job,
    publish_job,
    storage_stats_job,
    train_when_ready_job,
)
from assets.library import LIBRARY_ASSETS
from assets.projects import historical_project_pairs
from assets.sessions import raw_sessions, validated_session_outcomes
from assets.training import TRAINING_ASSETS
from assets.training_log import training_log_audit
from curata.layout import DataRoot
from curata.privacy import PSEUDONYM_KEY_ENV
from resources import CurataSettings, WarehouseIOManager
from resources.archive import COLD, ColdStorage, cold_storage_from_env
from resources.clip_model import ClipModel
from resources.export_settings import ExportSettings
from resources.s3 import STORE_URL_ENV, s3_from_env
from resources.training_settings import TrainingSettings
from sensors.library_sensor import library_changes, monthly_library_schedule
from sensors.project_sensor import new_project_folders
from sensors.schedules import nightly_archive_schedule, nightly_health_schedule
from sensors.session_sensor import new_session_folders
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
            raw_sessions,
            validated_session_outcomes,
            training_log_audit,
            data_health_report,
            historical_project_pairs,
            curation_outcomes,
            image_embeddings,
            *TRAINING_ASSETS,
            *EXPORT_ASSETS,
            archived_days,
            storage_stats,
            *LIBRARY_ASSETS,
            *ERASURE_ASSETS,
        ],
        asset_checks=[*EMBEDDING_CHECKS, *ERASURE_CHECKS],
        jobs=[
            ingest_sessions_job,
            publish_job,
            publish_curation_job,
            nightly_health_job,
            historical_pairs_job,
            curation_job,
            embeddings_job,
            library_job,
            archive_job,
            storage_stats_job,
            erase_person_job,
            train_when_ready_job,
            rotate_pseudonym_key_job,
        ],
        sensors=[new_session_folders, new_project_folders, library_changes, ready_datasets],
        schedules=[nightly_health_schedule, nightly_archive_schedule, monthly_library_schedule],
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
