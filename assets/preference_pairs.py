"""Preference pairs with embeddings: where vectors are consumed, so where two models must never mix."""

from collections.abc import Iterator

from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, AssetKey, Output, asset

from assets.embeddings import embedding_store
from curata.embeddings.store import FingerprintMismatch
from curata.export.preference_pairs import build_preference_pairs
from resources import CurataSettings
from resources.clip_model import ClipModel


@asset(
    group_name="embeddings",
    deps=["image_embeddings", "validated_selections", "historical_pairs"],
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
    context: AssetExecutionContext, curata: CurataSettings, clip: ClipModel
) -> Iterator[Output | AssetCheckResult]:
    """Selections and historical pairs with both images' CLIP vectors, for reward-model training."""
    model = clip.load()
    event = context.instance.get_latest_materialization_event(AssetKey("image_embeddings"))
    upstream = event.asset_materialization.metadata["fingerprint"].value if event else None
    if upstream != model.fingerprint:
        # The configured model is not the one whose vectors are in place: refuse to combine, and say so.
        yield AssetCheckResult(
            check_name="one_model_fingerprint",
            passed=False,
            metadata={"image_embeddings": str(upstream), "configured": model.fingerprint},
        )
        raise FingerprintMismatch(
            f"image_embeddings last ran with model {upstream}, this run is configured with {model.fingerprint} "
            f"({clip.architecture}, {model.description['weights']}); materialize image_embeddings with this "
            "model first"
        )
    built = build_preference_pairs(curata.warehouse, embedding_store(curata), model.fingerprint, model.dim)
    fingerprints = set(built.table.column("embedding_fingerprint").to_pylist())
    yield Output(built.table, metadata={"pairs": built.table.num_rows, "fingerprint": model.fingerprint})
    yield AssetCheckResult(
        check_name="one_model_fingerprint",
        passed=fingerprints <= {model.fingerprint},
        metadata={"fingerprints": ", ".join(sorted(fingerprints)) or "none"},
    )
    yield AssetCheckResult(
        check_name="every_pair_has_vectors",
        passed=not built.without_vectors,
        metadata={
            "without_vectors": len(built.without_vectors),
            "pairs": "\n".join(built.without_vectors[:30]) or "none",
        },
    )
