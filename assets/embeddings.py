"""CLIP embeddings of every image the accepted records reference, in a content-addressed store.

The work fans out: one step plans disjoint chunks of missing images (by hash range), one step per
chunk embeds it on whatever executor the run uses, and a last step compacts the store and lists
every referenced image with its status: the table downstream assets receive.
"""

from collections.abc import Iterator

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetIn,
    DynamicOut,
    DynamicOutput,
    In,
    OpExecutionContext,
    Out,
    Output,
    asset_check,
    graph_asset,
    op,
)

from assets.policies import IO_RETRY, described
from curata.curation.tables import VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.embeddings.checks import embedding_catalog, orphan_embeddings, vector_problems
from curata.embeddings.tables import FAILED, MISSING
from curata.embeddings.wanted import SOURCES, WantedImage, wanted_images
from resources import CurataSettings
from resources.clip_model import ClipModel
from resources.warehouse_io import ALLOW_MISSING

SHOWN = 50
STEP_IO = "step_io_manager"  # lists of images between the steps (the warehouse IO manager holds tables)


OPTIONAL_SOURCES = (VALIDATED_SELECTIONS.name, VALIDATED_CROPS.name)  # no curation logs: no images, no failure


@op(
    # every table the catalog marks as embedded (curata.embeddings.wanted.SOURCES), not a list of its own
    ins={name: In(metadata={ALLOW_MISSING: True}) if name in OPTIONAL_SOURCES else In() for name in SOURCES},
    out={"chunk": DynamicOut(io_manager_key=STEP_IO), "wanted": Out(io_manager_key=STEP_IO)},
)
def plan_embedding_chunks(
    context: OpExecutionContext,
    curata: CurataSettings,
    clip: ClipModel,
    **sources: pa.Table | None,
) -> Iterator[Output | DynamicOutput]:
    """Every referenced image, and the missing ones in disjoint chunks (at least one, maybe empty)."""
    from curata.embeddings.compute import missing_work, split_work

    model = clip.load()
    wanted = wanted_images(sources)
    curata.embedding_store.describe(model.fingerprint, model.description)
    todo, stored = missing_work(curata.embedding_store, model.fingerprint, wanted)
    chunks = [c for c in split_work(todo, clip.chunks) if c] or [[]]
    context.log.info(f"{len(wanted)} images referenced, {stored} stored, {len(todo)} to embed in {len(chunks)} chunks")
    for k, chunk in enumerate(chunks):
        yield DynamicOutput(chunk, output_name="chunk", mapping_key=f"chunk_{k}")
    yield Output(wanted, output_name="wanted")


@op(out=Out(io_manager_key=STEP_IO), retry_policy=IO_RETRY)
def embed_chunk(context: OpExecutionContext, curata: CurataSettings, clip: ClipModel, chunk: list[WantedImage]) -> dict:
    """Embeds one chunk; shards are written as it goes, so a killed step loses at most one shard's work."""
    from curata.embeddings.compute import embed_images  # torch loads only in steps that embed

    store, root = curata.embedding_store, curata.layout.root
    report = embed_images(clip.load(), store, chunk, root, decode_workers=clip.decode_workers)
    context.log.info(f"embedded {report.embedded}, failed {len(report.failed)}, changed {len(report.changed)}")
    return {"embedded": report.embedded, "failed": len(report.failed), "changed": report.changed}


@op
def catalog_embeddings(
    curata: CurataSettings, clip: ClipModel, reports: list[dict], wanted: list[WantedImage]
) -> Output[pa.Table]:
    """Compacts the store (no hash twice) and lists each referenced image with its status for this model."""
    model = clip.load()
    store = curata.embedding_store
    removed = store.compact(model.fingerprint)
    catalog = embedding_catalog(store, model.fingerprint, wanted)
    status = catalog.column("status").to_pylist()
    paths = catalog.column("path").to_pylist()
    failed = [p for p, s in zip(paths, status, strict=True) if s == FAILED]
    return Output(
        catalog,
        metadata={
            "fingerprint": model.fingerprint,
            "architecture": clip.architecture,
            "weights": model.description["weights"],
            "wanted": len(wanted),
            "embedded": sum(r["embedded"] for r in reports),
            "failed": len(failed),
            "failed_paths": "\n".join(failed[:SHOWN]) or "none",
            "changed_since_validation": sum(len(r["changed"]) for r in reports),
            "chunks": len(reports),
            "duplicates_compacted": removed,
        },
    )


@graph_asset(
    group_name="embeddings",
    ins={name: AssetIn() for name in SOURCES},
    **described("derived", {"pytorch", "parquet"}),
)
def image_embeddings(**sources):
    """Embeds only images not yet embedded with this model fingerprint; a failure is recorded once."""
    chunks, wanted = plan_embedding_chunks(**sources)
    reports = chunks.map(embed_chunk).collect()
    return catalog_embeddings(reports, wanted)


@asset_check(asset=image_embeddings, blocking=True, description="every referenced image has a vector or a failure")
def every_image_embedded(image_embeddings: pa.Table) -> AssetCheckResult:
    status = image_embeddings.column("status").to_pylist()
    missing = [p for p, s in zip(image_embeddings.column("path").to_pylist(), status, strict=True) if s == MISSING]
    return _result(missing, failed=status.count(FAILED))


@asset_check(
    asset=image_embeddings, blocking=True, description="right dimension, finite, unit norm, one vector per hash"
)
def vectors_sound(curata: CurataSettings, clip: ClipModel) -> AssetCheckResult:
    model = clip.load()
    return _result(vector_problems(curata.embedding_store, model.fingerprint, model.dim))


@asset_check(asset=image_embeddings, description="no stored vector that no accepted record references")
def no_orphan_embeddings(curata: CurataSettings, image_embeddings: pa.Table) -> AssetCheckResult:
    (fingerprint,) = set(image_embeddings.column("fingerprint").to_pylist()) or {None}
    if fingerprint is None:
        return _result([])
    wanted = [WantedImage(r["sha256"], r["path"]) for r in image_embeddings.select(["sha256", "path"]).to_pylist()]
    return _result(orphan_embeddings(curata.embedding_store, fingerprint, wanted), warn=True)


def _result(problems: list[str], warn: bool = False, **metadata: object) -> AssetCheckResult:
    return AssetCheckResult(
        passed=not problems,
        severity=AssetCheckSeverity.WARN if warn else AssetCheckSeverity.ERROR,
        metadata={"problems": len(problems), "first_problems": "\n".join(problems[:SHOWN]) or "none", **metadata},
    )


EMBEDDING_CHECKS = [every_image_embedded, vectors_sound, no_orphan_embeddings]
