"""Erasure in the cold tier, on moto's S3 server over HTTP: an archived day is rewritten without the person,
verified, the receipt and inventory moved to the new object, and only then the old object (every version) goes."""

from __future__ import annotations

import io
import tarfile

import pytest
import zstandard
from dagster import DagsterInstance, materialize
from dagster_aws.s3 import S3Resource

from assets.sessions import raw_sessions, validated_session_outcomes
from curata.archive import archive_day, inventory_entries, inventory_problems, inventory_table, restore_day
from curata.archive.receipts import REMOVED, RESTORED, read_receipt
from curata.erasure.context import ErasureContext
from curata.erasure.erase import erase_request
from curata.erasure.proof import remaining
from curata.erasure.requests import new_request
from curata.sessions.validate import Limits
from curata.storage import Store
from curata.warehouse import Warehouse
from resources import CurataSettings, WarehouseIOManager
from tests.archive_helpers import NOW, POLICY, object_bytes, snapshot, tiers_for
from tests.conftest import KEY, PSEUDONYM_KEY, later
from tests.dagster_helpers import definitions_for, warehouse_of
from tests.test_erasure_helpers import ANA, DAY_KEY, NEXT_KEY, context, ingest_all, write_sessions


@pytest.fixture
def archived(root, make_session, monkeypatch, s3, bucket):
    """Both days ingested, then archived to a versioned bucket; bob's folders snapshotted before."""
    world = write_sessions(root, make_session)
    ingest_all(definitions_for(root, monkeypatch), DagsterInstance.ephemeral(), root, curation=False)
    tiers = tiers_for(root, s3, bucket)
    tiers.cold.client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    before = snapshot(root.sessions, world.bob_folders)
    wh = warehouse_of(root)
    for day in (DAY_KEY, NEXT_KEY):
        raw = wh.read("raw_sessions", day).column("session_folder").to_pylist()
        outcome = archive_day(day, raw, [], tiers, POLICY, NOW)
        wh.write("archive_inventory", inventory_table([outcome.entry]), day)
    return world, tiers, before


def forget(root, tiers, email: str = ANA) -> dict:
    ctx = context(root, cold=tiers.cold)
    key = PSEUDONYM_KEY
    request = new_request(ctx.store, pseudonym=key.pseudonymize(email), key_id=key.key_id)
    return erase_request(ctx, request.id)


def every_object_version(tiers) -> list[bytes]:
    client, bucket = tiers.cold.client, tiers.cold.bucket
    listed = client.list_object_versions(Bucket=bucket).get("Versions", [])
    return [client.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read() for v in listed]


def unpacked(data: bytes) -> bytes:
    """Every member of a packed day, concatenated: what a search for an email in the bucket reads."""
    plain = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        return b"".join(tar.extractfile(m).read() for m in tar if m.isreg())


def test_an_archived_day_is_rewritten_without_the_person_and_the_old_object_is_gone(root, archived):
    world, tiers, bob_before = archived
    old_key = read_receipt(tiers.store, DAY_KEY).entry.object_key

    entry = forget(root, tiers)

    receipt = read_receipt(tiers.store, DAY_KEY)
    assert receipt.entry.object_key == tiers.cold.key_of(DAY_KEY, entry["request_id"]) != old_key
    assert receipt.hot_copy == REMOVED and set(receipt.folders) == {*world.bob_folders, world.anonymous.folder.name}
    assert tiers.cold.head(old_key) is None
    inventory = inventory_entries(warehouse_of(root).read("archive_inventory", DAY_KEY))
    assert [e.object_key for e in inventory] == [receipt.entry.object_key] and inventory[0].records == 3
    assert inventory_problems(tiers.cold, inventory) == []  # read back whole: sha256, size, members, manifest
    # The next day held only ana's sessions: its archive, receipt and inventory row are gone.
    assert read_receipt(tiers.store, NEXT_KEY) is None and tiers.cold.head(tiers.cold.key_of(NEXT_KEY)) is None
    assert warehouse_of(root).read("archive_inventory", NEXT_KEY).num_rows == 0
    # No version of any object holds her address; bob's still does: the search would find it.
    contents = [unpacked(data) for data in every_object_version(tiers)]
    assert not any(ANA.lower().encode() in c.lower() for c in contents)
    assert any(b"bob@example.com" in c for c in contents)
    assert remaining(context(root, cold=tiers.cold)) == []  # the proof reads the rewritten object whole

    restore_day(DAY_KEY, tiers)
    assert snapshot(root.sessions, world.bob_folders) == bob_before  # byte for byte, modes and mtimes
    assert not any((root.sessions / f).exists() for f in world.ana_folders)


def test_a_restored_day_loses_the_person_in_both_tiers(root, archived):
    world, tiers, _ = archived
    restore_day(DAY_KEY, tiers)
    assert all((root.sessions / f).is_dir() for f in world.ana_folders if f.startswith(f"session-{DAY_KEY}"))

    forget(root, tiers)

    receipt = read_receipt(tiers.store, DAY_KEY)
    assert receipt.hot_copy == RESTORED and not set(receipt.folders) & set(world.ana_folders)
    assert not any((root.sessions / f).exists() for f in world.ana_folders)
    assert all((root.sessions / f).is_dir() for f in world.bob_folders)
    assert restore_day(DAY_KEY, tiers).restored == 0  # the hot copy is what the rewritten archive holds
    assert remaining(context(root, cold=tiers.cold)) == []


def test_the_proof_reads_archives_and_names_one_that_still_holds_an_erased_image(root, archived):
    world, tiers, _ = archived
    old = object_bytes(tiers, tiers.cold.key_of(DAY_KEY))
    forget(root, tiers)
    # Someone puts the old object back under the day's current key (a bucket restored from its backup).
    current = read_receipt(tiers.store, DAY_KEY).entry.object_key
    tiers.cold.client.put_object(Bucket=tiers.cold.bucket, Key=current, Body=old)

    problems = remaining(context(root, cold=tiers.cold))

    for folder in (f for f in world.ana_folders if f.startswith(f"session-{DAY_KEY}")):
        assert f"{current}: {folder} holds an erased image" in problems
    assert f"{current}: {world.ana[0].folder.name} belongs to an erased pseudonym" in problems
    assert not any(world.bob[0].folder.name in p for p in problems)


def test_an_erasure_works_with_the_output_store_in_a_bucket(root, make_session, s3, s3_endpoint, bucket):
    """Tables, index, journal, tombstones and audit in `s3://<bucket>/store`; the session folders stay local."""
    ana = [make_session(later(0), seed=1, email=ANA), make_session(later(5), seed=2, email=ANA)]
    bob = make_session(later(9), seed=3, email="bob@example.com")
    endpoint = S3Resource(
        endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="t"
    )
    curata = CurataSettings(
        data_root=str(root.root), pseudonym_key=KEY.decode(), s3=endpoint, store_url=f"s3://{bucket}/store"
    )
    resources = {"curata": curata, "io_manager": WarehouseIOManager(curata=curata)}
    assert materialize([raw_sessions, validated_session_outcomes], partition_key=DAY_KEY, resources=resources).success
    store = Store.at(f"s3://{bucket}/store", s3)
    ctx = ErasureContext(store, root, PSEUDONYM_KEY, Limits())
    request = new_request(store, pseudonym=ctx.key.pseudonymize(ANA), key_id=ctx.key.key_id)

    entry = erase_request(ctx, request.id)

    assert sorted(entry["found"]["sessions"]) == sorted(s.folder.name for s in ana)
    assert not any(s.folder.exists() for s in ana) and bob.folder.is_dir()
    assert Warehouse(store).read("validated_sessions", DAY_KEY).column("session_folder").to_pylist() == [
        bob.folder.name
    ]
    assert remaining(ctx) == [] and store.exists(f"erasure/audit/{request.id}.json")
