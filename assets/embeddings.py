"""CLIP embeddings of every image the accepted records reference, in a content-addressed store."""

from collections.abc import Iterator

import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Output, asset

from assets.checks import problems_check
from curata.embeddings.checks import embedding_catalog, orphan_embeddings, vector_problems
from curata.embeddings.tables import FAILED, MISSING
from curata.embeddings.wanted import wanted_images
from resources import CurataSettings
from resources.clip_model import ClipModel

SHOWN_PATHS = 50


@asset(
    group_name="embeddings",
    kinds={"pytorch", "parquet"},
    check_specs=[
        AssetCheckSpec(
            "every_image_embedded",
            asset="image_embeddings",
            blocking=True,
            description="every referenced image has a vector, or a recorded failure (counted, not retried)",
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
def image_embeddings(
    context: AssetExecutionContext,
    curata: CurataSettings,
    clip: ClipModel,
    validated_sessions: pa.Table,
    validated_selections: pa.Table,
    validated_crops: pa.Table,
    historical_pairs: pa.Table,
) -> Iterator[Output | AssetCheckResult]:
    """Embeds only images not yet embedded with this model fingerprint; a failure is recorded once."""
    from curata.embeddings.compute import embed_missing  # torch loads only in runs that embed

    model = clip.load()
    store = curata.embedding_store
    wanted = wanted_images(
        {
            "validated_sessions": validated_sessions,
            "validated_selections": validated_selections,
            "validated_crops": validated_crops,
            "historical_pairs": historical_pairs,
        }
    )
    report = embed_missing(model, store, wanted, curata.layout.root, decode_workers=clip.decode_workers)
    catalog = embedding_catalog(store, model.fingerprint, wanted)
    status = catalog.column("status").to_pylist()
    paths = catalog.column("path").to_pylist()
    missing = [p for p, s in zip(paths, status, strict=True) if s == MISSING]
    failed = [p for p, s in zip(paths, status, strict=True) if s == FAILED]
    yield Output(
        catalog,
        metadata={
            "fingerprint": model.fingerprint,
            "architecture": clip.architecture,
            "weights": model.description["weights"],
            "wanted": report.wanted,
            "already_stored": report.already_stored,
            "embedded": report.embedded,
            "failed": len(failed),
            "failed_paths": "\n".join(failed[:SHOWN_PATHS]) or "none",
            "changed_since_validation": len(report.changed),
        },
    )
    yield problems_check("image_embeddings", "every_image_embedded", missing, failed=len(failed))
    yield problems_check("image_embeddings", "vectors_sound", vector_problems(store, model.fingerprint, model.dim))
    orphans = orphan_embeddings(store, model.fingerprint, wanted)
    yield problems_check("image_embeddings", "no_orphan_embeddings", orphans, warn=True)
