"""The Dagster code location that workspace.yaml loads."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar
from dagster_aws.s3 import S3Resource

from assets.curation import curation_outcomes
from assets.embeddings import image_embeddings
from assets.exports import edit_triplets
from assets.health import data_health_report
from assets.jobs import (
    curation_job,
    embeddings_job,
    historical_pairs_job,
    ingest_sessions_job,
    nightly_health_job,
    publish_job,
)
from assets.preference_pairs import preference_pairs
from assets.projects import historical_project_pairs
from assets.sessions import raw_sessions, validated_session_outcomes
from assets.training_log import training_log_audit
from curata.layout import DataRoot
from curata.privacy import PSEUDONYM_KEY_ENV
from resources import CurataSettings, WarehouseIOManager
from resources.clip_model import ClipModel
from resources.s3 import STORE_URL_ENV, s3_from_env
from sensors.project_sensor import new_project_folders
from sensors.schedules import nightly_health_schedule
from sensors.session_sensor import new_session_folders


def build_definitions(
    data_root: str | None = None,
    clip: ClipModel | None = None,
    store_url: str | None = None,
    s3: S3Resource | None = None,
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
            edit_triplets,
            data_health_report,
            historical_project_pairs,
            curation_outcomes,
            image_embeddings,
            preference_pairs,
        ],
        jobs=[ingest_sessions_job, publish_job, nightly_health_job, historical_pairs_job, curation_job, embeddings_job],
        sensors=[new_session_folders, new_project_folders],
        schedules=[nightly_health_schedule],
        resources={
            "curata": curata,
            "io_manager": WarehouseIOManager(curata=curata),
            "clip": clip or ClipModel(),
        },
    )


defs = build_definitions()
