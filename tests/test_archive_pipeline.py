"""The archive assets in Dagster: a day archived through the IO manager's inputs, its check, and the stats asset."""

from __future__ import annotations

import os

from dagster import AssetSelection, materialize
from dagster_aws.s3 import S3Resource

from assets.archive import ALL_IN_BUCKET, DAY_IN_BUCKET, archived_days, storage_stats
from assets.sessions import raw_sessions, validated_session_outcomes
from curata.archive import archived_days_of
from curata.storage import Store
from resources.archive import ColdStorage, restore_command, stats_command
from tests.archive_helpers import DAY_KEY
from tests.conftest import later
from tests.dagster_helpers import check_results, resources_for, warehouse_of

ASSETS = [raw_sessions, validated_session_outcomes, archived_days, storage_stats]
INGEST_AND_ARCHIVE = AssetSelection.assets(
    "raw_sessions", "validated_sessions", "archive_inventory"
).required_multi_asset_neighbors()


def cold_storage(endpoint: str, bucket: str) -> ColdStorage:
    s3 = S3Resource(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="t")
    return ColdStorage(s3=s3, bucket=bucket, prefix="cold", retention_days=30)


def metadata(result, asset: str) -> dict:
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset)
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_a_day_is_archived_through_dagster_and_the_stats_show_both_tiers(root, make_session, s3_endpoint, bucket):
    folders = sorted(make_session(later(m), seed=m + 1).folder.name for m in (0, 5))
    resources = resources_for(root) | {"cold_storage": cold_storage(s3_endpoint, bucket)}

    archived = materialize(ASSETS, partition_key=DAY_KEY, resources=resources, selection=INGEST_AND_ARCHIVE)

    assert archived.success and check_results(archived)[DAY_IN_BUCKET] is True
    shown = metadata(archived, "archive_inventory")
    assert (shown["status"], shown["records"], shown["folders_removed"]) == ("archived", 2, 2)
    assert shown["object"] == f"cold/sessions/{DAY_KEY}.tar.zst" and 0 < shown["ratio"] < 1.05
    assert warehouse_of(root).read("archive_inventory", DAY_KEY).column("records").to_pylist() == [2]
    assert not any((root.sessions / f).exists() for f in folders)
    assert archived_days_of(Store.at(root.root)) == {DAY_KEY}

    stats = materialize(ASSETS, resources=resources, selection=[storage_stats])

    assert stats.success and check_results(stats)[ALL_IN_BUCKET] is True
    shown = metadata(stats, "storage_stats")
    assert shown["stats"]["storage"]["cold"]["records"] == 2 and shown["stats"]["storage"]["hot"]["records"] == 0
    assert shown["summary"].startswith("| tier | records | bytes | per month |")
    assert "cold" in stats_command(resources["curata"], resources["cold_storage"])

    restored = restore_command(resources["curata"], resources["cold_storage"], DAY_KEY)
    assert restored.restored == 2 and sorted(os.listdir(root.sessions)) == folders


def test_a_tampered_object_fails_the_blocking_checks(root, make_session, s3_endpoint, bucket):
    make_session(later(0), seed=1)
    resources = resources_for(root) | {"cold_storage": cold_storage(s3_endpoint, bucket)}
    materialize(ASSETS, partition_key=DAY_KEY, resources=resources, selection=INGEST_AND_ARCHIVE)
    client = resources["cold_storage"].tier.client
    key = f"cold/sessions/{DAY_KEY}.tar.zst"
    client.put_object(Bucket=bucket, Key=key, Body=b"not the archive")

    again = materialize(
        ASSETS, partition_key=DAY_KEY, resources=resources, selection=[archived_days], raise_on_error=False
    )
    stats = materialize(ASSETS, resources=resources, selection=[storage_stats], raise_on_error=False)

    assert metadata(again, "archive_inventory")["status"] == "already_archived"
    assert check_results(again)[DAY_IN_BUCKET] is False
    assert check_results(stats)[ALL_IN_BUCKET] is False


def test_the_commands_see_the_cold_storage_configured_by_environment(root, monkeypatch, s3_endpoint, bucket):
    from dagster import Definitions, EnvVar

    from curata.privacy import PSEUDONYM_KEY_ENV
    from resources import CurataSettings
    from resources.archive import COLD, cold_storage_from_env
    from runner import resolved
    from tests.conftest import KEY

    env = {
        "CURATA_COLD_ENDPOINT_URL": s3_endpoint,
        "CURATA_COLD_REGION": "us-east-1",
        "CURATA_COLD_ACCESS_KEY_ID": "test",
        "CURATA_COLD_SECRET_ACCESS_KEY": "t",
        "CURATA_COLD_BUCKET": bucket,
        "CURATA_RETENTION_DAYS": "7",
        PSEUDONYM_KEY_ENV: KEY.decode(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    curata = CurataSettings(data_root=str(root.root), pseudonym_key=EnvVar(PSEUDONYM_KEY_ENV), s3=S3Resource())
    defs = Definitions(resources={"curata": curata, COLD: cold_storage_from_env()})

    with resolved(defs, "curata", COLD) as (settings, cold):
        assert (cold.bucket, cold.retention_days, cold.s3.aws_secret_access_key) == (bucket, 7, "t")
        cold.tier.check_reachable()  # the endpoint and credentials reach the bucket
        assert "Nothing is archived yet." in stats_command(settings, cold)
