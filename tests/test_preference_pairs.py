"""The preference export through Dagster: vectors of one model only, a new version when the model changes."""

from dagster import DagsterInstance, materialize

from assets.curation import curation_outcomes
from assets.embeddings import image_embeddings
from assets.exports import crop_boxes, preference_pairs
from curata.export.versioned import latest_version
from curata.sample.curation import generate_curation
from curata.storage import Store
from resources.clip_model import ClipModel
from tests.dagster_helpers import check_results, materialize_only, resources_for, warehouse_of
from tests.embedding_helpers import TINY


def resources(root, seed=0):
    clip = ClipModel(architecture=TINY.architecture, batch_size=TINY.batch_size, device="cpu", seed=seed)
    return {**resources_for(root), "clip": clip}


def test_pairs_carry_vectors_of_one_model_and_a_model_change_makes_a_new_version(root):
    generate_curation(root, n_sets=6, image_size=(96, 72))
    instance = DagsterInstance.ephemeral()
    assert materialize([curation_outcomes], instance=instance, resources=resources(root)).success
    built = materialize_only(
        [image_embeddings, preference_pairs, crop_boxes], instance=instance, resources=resources(root)
    )
    assert built.success and all(check_results(built).values()), check_results(built)
    store = Store.at(root.root)
    first = latest_version(store, "preference_pairs")
    catalog = warehouse_of(root).read("image_embeddings")
    (fingerprint,) = set(catalog.column("fingerprint").to_pylist())
    assert first.manifest["embedding_fingerprint"] == fingerprint
    assert sum(first.rows.values()) > 0 and latest_version(store, "crop_boxes") is not None
    assert all(check_results(built).values())

    again = materialize_only([preference_pairs], instance=instance, resources=resources(root))
    assert latest_version(store, "preference_pairs").version == first.version  # unchanged content: reused
    assert again.success

    other = materialize_only([image_embeddings, preference_pairs], instance=instance, resources=resources(root, 1))
    assert other.success
    second = latest_version(store, "preference_pairs")
    assert second.version != first.version
    assert second.manifest["embedding_fingerprint"] not in (fingerprint, "")
