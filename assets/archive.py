"""The cold tier: old session days packed, verified and moved to a bucket; and what each tier holds and costs."""

from collections.abc import Iterator

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)

from assets.checks import problems_check
from assets.partitions import session_days
from assets.policies import IO_RETRY, described, table_out
from curata.archive import (
    DayOutcome,
    archive_day,
    inventory_entries,
    inventory_problems,
    inventory_table,
    stats_markdown,
)
from curata.archive.tables import ARCHIVE_INVENTORY
from resources import CurataSettings
from resources.archive import ColdStorage

GROUP = "archive"
DAY_IN_BUCKET = "day_in_bucket_as_inventoried"
ALL_IN_BUCKET = "every_archive_in_bucket"
STORAGE_STATS = "storage_stats"


# Keeps the hot tier to the retention: a day past it, settled, leaves the data root only once its object
# in the bucket was read back and matched every file. The op is `archived_days`; the table it writes is
# `archive_inventory`, so the IO manager stores it under that name.
@multi_asset(
    name="archived_days",
    partitions_def=session_days,
    group_name=GROUP,
    outs={ARCHIVE_INVENTORY.name: table_out(ARCHIVE_INVENTORY.name, "archive", frozenset({"s3", "parquet"}))},
    retry_policy=IO_RETRY,
    check_specs=[
        AssetCheckSpec(
            DAY_IN_BUCKET,
            asset=ARCHIVE_INVENTORY.name,
            blocking=True,
            description="the day's inventory entry is in the bucket with the same size, sha256 and files",
        )
    ],
)
def archived_days(
    context: AssetExecutionContext,
    curata: CurataSettings,
    cold_storage: ColdStorage,
    raw_sessions: pa.Table,
    deferred_sessions: pa.Table,
) -> Iterator[Output | AssetCheckResult]:
    outcome = archive_day(
        context.partition_key,
        raw_sessions.column("session_folder").to_pylist(),
        deferred_sessions.column("session_folder").to_pylist(),
        cold_storage.tiers(curata),
        cold_storage.policy(curata),
    )
    context.log.info(f"{outcome.day}: {outcome.status} {outcome.reason}".rstrip())
    entries = [outcome.entry] if outcome.entry else []
    yield Output(inventory_table(entries), output_name=ARCHIVE_INVENTORY.name, metadata=outcome_metadata(outcome))
    # Read back whole in this run already when it archived; otherwise read the object now.
    problems = [] if outcome.verified else inventory_problems(cold_storage.tier, entries)
    yield problems_check(ARCHIVE_INVENTORY.name, DAY_IN_BUCKET, problems, read_back_in_run=outcome.verified)


def outcome_metadata(outcome: DayOutcome) -> dict:
    entry = outcome.entry
    return {
        "status": outcome.status,
        "reason": outcome.reason or "",
        "records": entry.records if entry else 0,
        "bytes_before": entry.bytes_raw if entry else 0,
        "bytes_after": entry.bytes_packed if entry else 0,
        "ratio": round(entry.bytes_packed / entry.bytes_raw, 4) if entry and entry.bytes_raw else 0.0,
        "uploaded": outcome.uploaded,
        "folders_removed": outcome.removed,
        "object": entry.object_key if entry else "",
    }


# What each tier holds and costs a month, and what to do next: the collection service's storage stats.
@asset(
    name=STORAGE_STATS,
    group_name=GROUP,
    retry_policy=IO_RETRY,
    **described("report", {"s3", "python"}),
    check_specs=[
        AssetCheckSpec(
            ALL_IN_BUCKET,
            asset=STORAGE_STATS,
            blocking=True,
            description="every inventory entry is in the bucket and identical (read whole, or HEAD if so configured)",
        )
    ],
)
def storage_stats(
    curata: CurataSettings, cold_storage: ColdStorage, archive_inventory: pa.Table
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Records, bytes and monthly cost of the hot and cold tiers, savings from archiving, recommendations."""
    stats = cold_storage.stats(curata, archive_inventory)
    costs = stats["costs"]
    yield MaterializeResult(
        metadata={
            "summary": MetadataValue.md(stats_markdown(stats)),
            "stats": MetadataValue.json(stats),
            "hot_bytes": stats["storage"]["hot"]["bytes"],
            "cold_bytes": stats["storage"]["cold"]["bytes"],
            "monthly_usd": costs["total_monthly_usd"],
            "savings_monthly_usd": costs["savings_monthly_usd"],
        }
    )
    entries = inventory_entries(archive_inventory)
    problems = inventory_problems(cold_storage.tier, entries, deep=cold_storage.verify_reads_objects)
    yield problems_check(STORAGE_STATS, ALL_IN_BUCKET, problems, entries=len(entries))
