"""Preference pairs with vectors: built from one model, and refused when the model changed underneath."""

from dagster import DagsterInstance, materialize

from assets.curation import curation_outcomes
from assets.embeddings import image_embeddings
from assets.preference_pairs import preference_pairs
from curata.sample.curation import generate_curation
from resources.clip_model import ClipModel
from tests.dagster_helpers import check_results, materialize_only, materialized, resources_for, warehouse_of
from tests.embedding_helpers import TINY


def resources(root, seed=0):
    return {
        **resources_for(root),
        "clip": ClipModel(architecture=TINY.architecture, batch_size=TINY.batch_size, device="cpu", seed=seed),
    }


def test_pairs_carry_vectors_of_one_model_and_a_model_change_is_refused(root):
    generate_curation(root, n_sets=6, image_size=(96, 72))
    instance = DagsterInstance.ephemeral()
    assert materialize([curation_outcomes], instance=instance, resources=resources(root)).success
    built = materialize_only([image_embeddings, preference_pairs], instance=instance, resources=resources(root))
    assert built.success and all(check_results(built).values()), check_results(built)
    table = warehouse_of(root).read("preference_pairs")
    selections = warehouse_of(root).read("validated_selections").to_pylist()
    assert table.num_rows == sum(len(s["rejected_paths"]) for s in selections) > 0
    assert len(set(table.column("embedding_fingerprint").to_pylist())) == 1

    # Another model configured downstream only: its vectors were never made, the old ones must not be used.
    other = materialize_only(
        [preference_pairs], instance=instance, resources=resources(root, seed=1), raise_on_error=False
    )
    assert not other.success
    assert "preference_pairs" not in materialized(other)
    assert check_results(other)["one_model_fingerprint"] is False
    failure = next(e for e in other.all_events if e.is_step_failure)
    assert failure.step_failure_data.error.cause.cls_name == "FingerprintMismatch"
    assert warehouse_of(root).read("preference_pairs").equals(table)  # the good table is untouched
