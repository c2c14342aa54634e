"""Raw session folders to validated sessions, quarantine rows and deferred folders, per day."""

from collections.abc import Iterator

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetMaterialization,
    Output,
    asset,
    multi_asset,
)

from assets.checks import actionable_check, actionable_spec, problems_check, reconciliation_check
from assets.partitions import session_days
from assets.pictures import quarantine_pictures
from assets.policies import described, table_out
from assets.quality import quality_output
from curata.archive import refuse_if_archived
from curata.erasure.keys import check_key
from curata.quality_tables import SESSION_IMAGE_QUALITY
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from curata.sessions import SESSIONS
from curata.sessions.batch import AcceptedLookup, PartitionResult, accepted_in, validate_partition
from curata.sessions.checks import accepted_session_problems
from curata.sessions.inventory import list_session_folders
from curata.sessions.tables import (
    DEFERRED_SESSIONS,
    RAW_SESSIONS,
    SESSION_PEOPLE,
    SESSION_QUARANTINE,
    VALIDATED_SESSIONS,
)
from curata.sessions.tombstones import Tombstones
from resources import CurataSettings

GROUP = "sessions"
RECONCILES = "reconciles_with_raw"
SOUND = "accepted_are_sound"


@asset(partitions_def=session_days, group_name=GROUP, **described("raw", {"python", "parquet"}))
def raw_sessions(context: AssetExecutionContext, curata: CurataSettings) -> Output[pa.Table]:
    """Every session folder whose day is this partition, as found on disk: the input records."""
    context.log.info(f"pseudonyms keyed by {curata.key.key_id}")  # an unusable key fails here, before any write
    sessions = curata.require(SESSIONS)
    day = context.partition_key
    check_key(curata.store, curata.key)  # a changed key without a declared rotation is refused before any write
    refuse_if_archived(curata.store, day)  # its folders left the data root: listing it now would wipe its rows
    folders = list_session_folders(sessions, curata.max_metadata_bytes, day=day)  # stats only this day's folders
    table = RAW_SESSIONS.from_rows([f.__dict__ | {"session_folder": f.name} for f in folders])
    return Output(table, metadata={"folders": len(folders)})


@multi_asset(
    partitions_def=session_days,
    group_name=GROUP,
    outs={
        VALIDATED_SESSIONS.name: table_out(VALIDATED_SESSIONS.name, "validated"),
        SESSION_QUARANTINE.name: table_out(SESSION_QUARANTINE.name, "quarantine"),
        DEFERRED_SESSIONS.name: table_out(DEFERRED_SESSIONS.name, "validated"),
        SESSION_PEOPLE.name: table_out(SESSION_PEOPLE.name, "validated"),
        SESSION_IMAGE_QUALITY.name: table_out(SESSION_IMAGE_QUALITY.name, "validated"),
    },
    check_specs=[
        AssetCheckSpec(
            RECONCILES,
            asset=VALIDATED_SESSIONS.name,
            blocking=True,
            description="raw folders = accepted + quarantined + deferred, by folder name",
        ),
        AssetCheckSpec(
            SOUND,
            asset=VALIDATED_SESSIONS.name,
            blocking=True,
            description="positive dimensions, full hashes, instruction present, no email in clear",
        ),
        actionable_spec(SESSION_QUARANTINE.name),
    ],
)
def validated_session_outcomes(
    context: AssetExecutionContext, curata: CurataSettings, raw_sessions: pa.Table
) -> Iterator[Output | AssetCheckResult]:
    day = context.partition_key
    result = validate_day(curata, day, raw_sessions.column("session_folder").to_pylist())
    quarantine_rows = result.quarantined.to_pylist()
    yield Output(result.accepted, output_name=VALIDATED_SESSIONS.name, metadata={"accepted": result.accepted.num_rows})
    yield Output(
        result.quarantined,
        output_name=SESSION_QUARANTINE.name,
        metadata={
            "quarantined": len(quarantine_rows),
            **counts_by_rule(quarantine_rows),
            **quarantine_pictures(quarantine_rows, curata.layout.root, curata.image_limits),
        },
    )
    yield Output(result.deferred, output_name=DEFERRED_SESSIONS.name, metadata={"deferred": result.deferred.num_rows})
    yield Output(result.people, output_name=SESSION_PEOPLE.name, metadata={"folders": result.people.num_rows})
    yield quality_output(result.quality, SESSION_IMAGE_QUALITY.name)
    yield from session_partition_checks(raw_sessions, result.accepted, result.quarantined, result.deferred)
    for later in result.superseded_days:  # this day's outputs are stored now: the later day sees them
        revalidate_day(context, curata, later, day)


def validate_day(curata: CurataSettings, day: str, folders: list[str]) -> PartitionResult:
    return validate_partition(
        curata.require(SESSIONS),
        folders,
        day,
        data_root=curata.layout.root,
        key=curata.key,
        accepted_elsewhere=accepted_in_other_days(curata, day),
        tombstones=Tombstones.load(curata.warehouse),  # an erased person's data is refused if it comes back
        limits=curata.limits,
        workers=curata.workers,
    )


def revalidate_day(context: AssetExecutionContext, curata: CurataSettings, day: str, because: str) -> None:
    """A day validated before an earlier day arrived holds copies of that day's sessions: validated again here, so
    the sessions kept and the quarantine rows do not depend on the order days were ingested in.

    Dagster runs one partition per run, so these writes go to the warehouse directly and are recorded as
    materializations of that day; the validated table is written last (a kill before it shows as that day
    failing reconciliation in the health report, which names the day to re-run).
    """
    warehouse = curata.warehouse
    result = validate_day(curata, day, warehouse.read(RAW_SESSIONS.name, day).column("session_folder").to_pylist())
    outputs = {
        SESSION_QUARANTINE.name: result.quarantined,
        DEFERRED_SESSIONS.name: result.deferred,
        SESSION_PEOPLE.name: result.people,
        SESSION_IMAGE_QUALITY.name: result.quality,
        VALIDATED_SESSIONS.name: result.accepted,
    }
    for table, data in outputs.items():
        warehouse.write(table, data, partition=day)
        facts = {"rows": data.num_rows, "validated_again_after": because}
        context.log_event(AssetMaterialization(table, partition=day, metadata=facts))
    context.log.info(f"{day} validated again: {because} holds earlier copies of its sessions")


def accepted_in_other_days(curata: CurataSettings, day: str) -> AcceptedLookup:
    """The sessions this asset accepted in its other partitions: what a repeat here is compared with.

    Dagster has no partition mapping from one day to every other day of the same asset, so this one read
    of the asset's own partitions goes to the warehouse directly.
    """
    warehouse = curata.warehouse
    return accepted_in(warehouse, [p for p in warehouse.partitions(VALIDATED_SESSIONS.name) if p != day])


def session_partition_checks(
    raw: pa.Table, accepted: pa.Table, quarantined: pa.Table, deferred: pa.Table
) -> Iterator[AssetCheckResult]:
    """The integrity checks of one partition, computed from the tables themselves."""
    rec = reconcile(
        raw.column("session_folder").to_pylist(),
        {
            "accepted": accepted.column("session_folder").to_pylist(),
            "quarantined": quarantined.column("record_id").to_pylist(),
            "deferred": deferred.column("session_folder").to_pylist(),
        },
    )
    yield reconciliation_check(VALIDATED_SESSIONS.name, RECONCILES, rec)
    yield problems_check(VALIDATED_SESSIONS.name, SOUND, accepted_session_problems(accepted.to_pylist()))
    yield actionable_check(SESSION_QUARANTINE.name, quarantined.to_pylist())
