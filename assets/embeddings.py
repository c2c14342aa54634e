"""CLIP embeddings of every image the accepted records reference, in a content-addressed store."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    asset,
)

from curata.embeddings.checks import missing_embeddings, orphan_embeddings, vector_problems
from curata.embeddings.store import EmbeddingStore
from curata.embeddings.wanted import wanted_images
from resources import CurataSettings
from resources.clip_model import ClipModel


def embedding_store(curata: CurataSettings) -> EmbeddingStore:
    return EmbeddingStore(curata.layout.warehouse / "embeddings")


@asset(
    group_name="embeddings",
    deps=["validated_sessions", "validated_selections", "validated_crops", "historical_pairs"],
    kinds={"pytorch", "parquet"},
    check_specs=[
        AssetCheckSpec(
            "every_image_embedded",
            asset="image_embeddings",
            blocking=True,
            description="every accepted session image, selection, crop and pair member has a vector",
        ),
        AssetCheckSpec(
            "vectors_sound",
            asset="image_embeddings",
            blocking=True,
            description="right dimension, finite, unit norm, one vector per hash",
        ),
        AssetCheckSpec(
            "no_orphan_embeddings",
            asset="image_embeddings",
            description="no stored vector that no accepted record references",
        ),
    ],
)
def image_embeddings(context: AssetExecutionContext, curata: CurataSettings, clip: ClipModel) -> MaterializeResult:
    """Embeds only images not yet embedded with this model fingerprint; corrupt images are recorded once."""
    from curata.embeddings.compute import embed_missing  # torch loads only in runs that embed

    model = clip.load()
    store = embedding_store(curata)
    wanted = wanted_images(curata.warehouse)
    report = embed_missing(model, store, wanted, curata.layout.root, decode_workers=clip.decode_workers)
    missing = missing_embeddings(store, model.fingerprint, wanted)
    problems = vector_problems(store, model.fingerprint, model.dim)
    orphans = orphan_embeddings(store, model.fingerprint, wanted)
    return MaterializeResult(
        metadata={
            "fingerprint": model.fingerprint,
            "architecture": clip.architecture,
            "weights": model.description["weights"],
            "wanted": report.wanted,
            "already_stored": report.already_stored,
            "embedded": report.embedded,
            "failed": len(report.failed),
            "changed_since_validation": len(report.changed),
        },
        check_results=[
            AssetCheckResult(
                check_name="every_image_embedded",
                passed=not missing,
                metadata={"missing": len(missing), "missing_paths": "\n".join(missing[:50]) or "none"},
            ),
            AssetCheckResult(
                check_name="vectors_sound",
                passed=not problems,
                metadata={"problems": "\n".join(problems[:50]) or "none"},
            ),
            AssetCheckResult(
                check_name="no_orphan_embeddings",
                passed=not orphans,
                severity=AssetCheckSeverity.WARN,
                metadata={"orphans": len(orphans), "orphan_paths": "\n".join(orphans[:50]) or "none"},
            ),
        ],
    )
