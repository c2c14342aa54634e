"""The photo library through Dagster: records reconcile, analyses publish, re-runs change nothing, the sensor counts."""

import json
import shutil

import pyarrow.compute as pc
from dagster import DagsterInstance, SkipReason, build_sensor_context, materialize

from assets.library import face_clusters, library_records
from curata.export.versioned import latest_version
from curata.layout import WAREHOUSE
from curata.sample.compare import library_mismatches, library_quality_report
from curata.sample.library import generate_library
from curata.storage import Store
from sensors import library_sensor
from tests.dagster_helpers import check_results, definitions_for, resources_for, warehouse_of

SEED_DOCUMENTS = {
    "category_patterns.json",
    "description_patterns.json",
    "search_index.json",
    "improved_descriptions.json",
    "training_report.json",
    "face_clusters.json",
}


def analyse(defs, instance):
    return defs.resolve_job_def("analyse_library").execute_in_process(instance=instance, raise_on_error=False)


def test_library_job_matches_the_planted_truth_and_a_rerun_changes_nothing(root, monkeypatch):
    generate_library(root, n_images=300, image_size=(160, 120))
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()
    first = analyse(defs, instance)
    assert first.success and all(check_results(first).values()), check_results(first)
    warehouse = warehouse_of(root)
    assert library_mismatches(root.ground_truth / "library.json", warehouse) == []
    quality = library_quality_report(root, warehouse)
    assert quality["synonyms"]["recall"] >= 0.9 and quality["synonyms"]["precision"] >= 0.8
    assert quality["faces"]["worst_purity_10"] >= 0.95
    ours, dbscan = quality["faces"], quality["faces_dbscan_at_its_best"]
    assert ours["ari"] >= dbscan["ari"] and ours["purity"] >= dbscan["purity"], (ours, dbscan)

    store = Store.at(root.root)
    published = latest_version(store, "library_patterns")
    assert SEED_DOCUMENTS <= set(published.manifest["files"])
    sheets = [f for f in published.manifest["files"] if f.startswith("pictures/")]
    clusters = warehouse.read("library_face_clusters")
    assert len(sheets) == clusters.num_rows > 0
    assert store.read_bytes(f"{published.key}/{sheets[0]}")[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads(store.read_text(f"{published.key}/training_report.json"))
    assert report  # the seed's training report, in its shape

    again = analyse(defs, instance)
    assert again.success
    assert latest_version(store, "library_patterns").version == published.version  # unchanged: reused
    assert warehouse.read("library_face_clusters").equals(clusters)  # same cluster ids


def test_the_sensor_asks_for_a_run_first_and_then_only_after_enough_changes(root, monkeypatch):
    generate_library(root, n_images=60, image_size=(96, 72), defects=False)
    defs = definitions_for(root, monkeypatch)
    instance = DagsterInstance.ephemeral()

    def tick():
        with build_sensor_context(instance=instance, resources={"curata": resources_for(root)["curata"]}) as ctx:
            return library_sensor.library_changes(ctx)

    assert not isinstance(tick(), SkipReason)  # never analysed
    assert analyse(defs, instance).success
    assert isinstance(tick(), SkipReason)
    monkeypatch.setattr(library_sensor, "CHANGED_IMAGES", 10)
    images = sorted((root.library / "images").rglob("*.jpg"))[:12]
    for image in images:
        image.write_bytes(image.read_bytes() + b"\0")  # the bytes changed: the record's digest changes
    request = tick()
    assert not isinstance(request, SkipReason)
    assert int(request.tags["curata/changed-records"]) >= 10


def test_the_merge_likely_same_person_setting_gives_linked_clusters_one_person_id(root):
    generate_library(root, n_images=300, image_size=(64, 48), defects=False, lobe_share=1.0)  # everyone in 2-3 looks
    instance = DagsterInstance.ephemeral()
    people = {}
    for merge in (False, True):
        resources = resources_for(root, merge_likely_same_person=merge)
        assert materialize([library_records, face_clusters], resources=resources, instance=instance).success
        faces = warehouse_of(root).read("library_face_assignments").filter(pc.is_valid(pc.field("cluster_id")))
        people[merge] = faces
        shutil.rmtree(root.root / WAREHOUSE / "library_face_assignments")  # the next run clusters from scratch
    assert people[False]["person_id"].equals(people[False]["cluster_id"])
    assert people[True]["cluster_id"].equals(people[False]["cluster_id"])
    assert len(set(people[True]["person_id"].to_pylist())) < len(set(people[True]["cluster_id"].to_pylist()))
