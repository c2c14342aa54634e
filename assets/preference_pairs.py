"""Preference pairs with embeddings: where vectors are consumed, so where two models must never mix."""

from collections.abc import Iterator

import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Output, asset

from assets.checks import problems_check
from curata.embeddings.store import FingerprintMismatch
from resources import CurataSettings
from resources.clip_model import ClipModel


@asset(
    group_name="embeddings",
    deps=["validated_selections", "historical_pairs"],
    kinds={"parquet"},
    check_specs=[
        AssetCheckSpec(
            "one_model_fingerprint",
            asset="preference_pairs",
            blocking=True,
            description="every vector comes from the model that image_embeddings last ran with",
        ),
        AssetCheckSpec(
            "every_pair_has_vectors",
            asset="preference_pairs",
            blocking=True,
            description="no selection or historical pair was left out for want of vectors",
        ),
    ],
)
def preference_pairs(
    context: AssetExecutionContext, curata: CurataSettings, clip: ClipModel, image_embeddings: pa.Table
) -> Iterator[Output | AssetCheckResult]:
    """Selections and historical pairs with both images' CLIP vectors, for reward-model training."""
    model = clip.load()
    upstream = sorted(set(image_embeddings.column("fingerprint").to_pylist()))
    if upstream and upstream != [model.fingerprint]:
        # The configured model is not the one whose vectors are in place: refuse to combine, and say so.
        mismatch = [f"image_embeddings ran with {', '.join(upstream)}, this run is configured with {model.fingerprint}"]
        yield problems_check("preference_pairs", "one_model_fingerprint", mismatch)
        raise FingerprintMismatch(
            f"{mismatch[0]} ({clip.architecture}, {model.description['weights']}); materialize image_embeddings "
            "with this model first"
        )
    from curata.export.preference_pairs import build_preference_pairs  # being rewritten (issue 12)

    built = build_preference_pairs(curata.warehouse, curata.embedding_store, model.fingerprint, model.dim)
    fingerprints = set(built.table.column("embedding_fingerprint").to_pylist())
    yield Output(built.table, metadata={"pairs": built.table.num_rows, "fingerprint": model.fingerprint})
    others = sorted(fingerprints - {model.fingerprint})
    yield problems_check("preference_pairs", "one_model_fingerprint", others)
    yield problems_check("preference_pairs", "every_pair_has_vectors", built.without_vectors)
