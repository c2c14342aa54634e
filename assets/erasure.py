"""Deletion on request that reaches every copy, its audit log and proof, and the pseudonym key's rotation."""

import os
from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetSpec,
    Config,
    MaterializeResult,
    MetadataValue,
    OpExecutionContext,
    Out,
    asset,
    asset_check,
    job,
    multi_asset,
    op,
)
from pydantic import Field

from assets.checks import problems_check
from assets.embeddings import STEP_IO
from assets.policies import CODE_VERSION, OWNERS, described
from curata.erasure.audit import audit_entries, audit_markdown
from curata.erasure.context import ErasureContext
from curata.erasure.erase import erase_request
from curata.erasure.index import refresh_indexes
from curata.erasure.proof import remaining
from curata.erasure.requests import erasure_health
from curata.erasure.rotation import rotate_key
from curata.erasure.tables import IMAGE_INDEX, PERSON_INDEX
from curata.privacy import PseudonymKey, PseudonymKeyError
from curata.sessions.tables import SESSION_PEOPLE
from resources import CurataSettings
from resources.archive import ColdStorage

GROUP = "privacy"
NO_ERASED_DATA = "no_erased_data_remains"


def erasure_context(curata: CurataSettings, cold_storage: ColdStorage) -> ErasureContext:
    return ErasureContext(
        store=curata.store,
        layout=curata.layout,
        key=curata.key,
        limits=curata.limits,
        cold=cold_storage.tier if cold_storage.bucket else None,
        workers=curata.workers,
        compression_level=cold_storage.compression_level,
    )


# The indexes an erasure request finds a person by: a lookup is right without this refresh, but reads every day
# ingested since the last one directly, so the nightly job merges those days in.
@multi_asset(
    specs=[
        AssetSpec(
            spec.name,
            deps=[SESSION_PEOPLE.name],
            group_name=GROUP,
            description=spec.description,
            owners=OWNERS,
            tags={"layer": "derived"},
            kinds={"parquet"},
            code_version=CODE_VERSION,
        )
        for spec in (PERSON_INDEX, IMAGE_INDEX)
    ]
)
def erasure_indexes(curata: CurataSettings) -> Iterator[MaterializeResult]:
    days = refresh_indexes(curata.warehouse)
    for spec in (PERSON_INDEX, IMAGE_INDEX):
        shards = curata.warehouse.partitions(spec.name)
        yield MaterializeResult(asset_key=spec.name, metadata={"days_merged": len(days), "shards": len(shards)})


class ErasureRequestConfig(Config):
    request_id: str = Field(
        default="", description="the request to carry out (`curata forget` makes it); empty: show the audit log only"
    )


# Launched by `curata forget` (or from the launchpad with a request id): carries the request out, resumably,
# then shows every request's audit entry. The check after it proves nothing erased is left anywhere.
@asset(group_name=GROUP, **described("report", {"python"}))
def erasure_audit(
    context: AssetExecutionContext, config: ErasureRequestConfig, curata: CurataSettings, cold_storage: ColdStorage
) -> MaterializeResult:
    """One entry per completed erasure request: when, which pseudonym, what was removed where, by which run."""
    ctx = erasure_context(curata, cold_storage)
    this: dict = {}
    if config.request_id:
        entry = erase_request(ctx, config.request_id, context.run.run_id, lambda s: context.log.info(f"done: {s}"))
        found = entry["found"]
        context.log.info(
            f"{config.request_id}: no data found for this person; tombstone recorded"
            if found["nothing_found"]
            else f"{config.request_id}: {len(found['sessions'])} session(s) erased over {len(found['days'])} day(s)"
        )
        this = {"request": config.request_id, "sessions_erased": len(found["sessions"])}
    health = erasure_health(ctx.store)
    return MaterializeResult(
        metadata={
            "audit": MetadataValue.md(audit_markdown(audit_entries(ctx.store))),
            "completed": health["completed"],
            "pending": ", ".join(health["pending"]) or "none",
            **this,
        }
    )


@asset_check(
    asset=erasure_audit,
    name=NO_ERASED_DATA,
    blocking=True,
    description="no tombstoned pseudonym, image hash or session folder in any tier, table, embedding or export",
)
def no_erased_data_remains(curata: CurataSettings, cold_storage: ColdStorage) -> AssetCheckResult:
    return problems_check(
        erasure_audit.key.to_user_string(), NO_ERASED_DATA, remaining(erasure_context(curata, cold_storage))
    )


class KeyRotationConfig(Config):
    new_key_env: str = Field(description="name of the environment variable holding the new key (never the key)")


@op(out=Out(io_manager_key=STEP_IO))  # the summary, not a table: kept in the instance's storage
def rotate_key_everywhere(
    context: OpExecutionContext, config: KeyRotationConfig, curata: CurataSettings, cold_storage: ColdStorage
) -> dict:
    """Re-keys every pseudonym from CURATA_PSEUDONYM_KEY's key to the new one; the new one is then the store's."""
    secret = os.environ.get(config.new_key_env, "")
    if not secret:
        raise PseudonymKeyError(f"{config.new_key_env} is not set where the run executes; it must hold the new key")
    summary = rotate_key(
        erasure_context(curata, cold_storage),
        PseudonymKey.from_secret(secret),
        lambda step: context.log.info(f"done: {step}"),
    )
    context.log.info(f"pseudonyms now keyed by {summary['to']}: set CURATA_PSEUDONYM_KEY to the new key's secret")
    return summary


@job(
    name="rotate_pseudonym_key",
    description="Re-key every pseudonym (tables, tombstones, exports) to a new key, resumably; then it is the key.",
)
def rotate_pseudonym_key_job() -> None:
    rotate_key_everywhere()


ERASURE_ASSETS = [erasure_audit, erasure_indexes]
ERASURE_CHECKS = [no_erased_data_remains]
