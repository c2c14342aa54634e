"""image_embeddings through Dagster: covers every accepted record, names what it cannot cover."""

from dagster import DagsterInstance, materialize

from assets.curation import curation_outcomes
from assets.embeddings import image_embeddings
from curata.layout import EMBEDDINGS
from curata.sample.curation import generate_curation
from resources.clip_model import ClipModel
from tests.dagster_helpers import check_results, materialize_only, resources_for
from tests.embedding_helpers import TINY


def resources(root):
    return {
        **resources_for(root),
        "clip": ClipModel(architecture=TINY.architecture, batch_size=TINY.batch_size, device="cpu"),
    }


def test_embeddings_cover_the_curation_logs_and_name_a_changed_image(root):
    generate_curation(root, n_sets=8, image_size=(96, 72))
    instance = DagsterInstance.ephemeral()
    assert materialize([curation_outcomes], instance=instance, resources=resources(root)).success
    first = materialize_only([image_embeddings], instance=instance, resources=resources(root))
    assert first.success
    assert check_results(first) == {"every_image_embedded": True, "vectors_sound": True, "no_orphan_embeddings": True}
    meta = first.asset_materializations_for_node("image_embeddings")[0].metadata
    assert meta["embedded"].value == meta["wanted"].value > 0

    again = materialize_only([image_embeddings], instance=instance, resources=resources(root))
    assert again.asset_materializations_for_node("image_embeddings")[0].metadata["embedded"].value == 0

    victim = sorted((root.curation / "images" / "set_007").iterdir())[0]
    fingerprint = meta["fingerprint"].value
    for shard in (root.root / EMBEDDINGS / fingerprint).glob("shard-*.parquet"):
        shard.unlink()  # the 93% story: the listing said yes, the files were gone
    victim.write_bytes(victim.read_bytes() + b"changed")
    third = materialize_only([image_embeddings], instance=instance, resources=resources(root), raise_on_error=False)
    assert check_results(third)["every_image_embedded"] is False
    evaluation = next(e for e in third.get_asset_check_evaluations() if e.check_name == "every_image_embedded")
    assert victim.relative_to(root.root).as_posix() in evaluation.metadata["first_problems"].value
