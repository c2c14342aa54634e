"""Datasets that training code loads as is, each published as a new version with a manifest and a card."""

from collections.abc import Callable, Iterator

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.checks import problems_check
from assets.health import data_health_report
from assets.policies import IO_RETRY, described
from curata.catalog import spec_of
from curata.export.crop_boxes import export_crop_boxes
from curata.export.edit_triplets import export_edit_triplets
from curata.export.inputs import ExportContext
from curata.export.preference_pairs import export_preference_pairs
from curata.export.readiness import readiness
from curata.export.verify import export_leaks, export_problems
from curata.export.versioned import ExportResult, Provenance
from curata.health import repeats_across_partitions
from curata.quarantine import counts_by_rule
from resources import CurataSettings
from resources.clip_model import ClipModel
from resources.export_settings import ExportSettings
from resources.warehouse_io import ALLOW_MISSING

GROUP = "exports"


class DuplicateAcrossPartitions(RuntimeError):
    """Days validated concurrently or out of order both accepted one image pair; re-running the later day fixes it."""


def export_checks(asset: str) -> list[AssetCheckSpec]:
    """Both blocking: a version that differs from its manifest, or leaks a group across splits, stops what follows."""
    return [
        AssetCheckSpec(
            "export_matches_manifest",
            asset=asset,
            blocking=True,
            description="files, sha256, bytes and row counts as the manifest says",
        ),
        AssetCheckSpec(
            "splits_do_not_leak",
            asset=asset,
            blocking=True,
            description="no group (session, project, set, photo) and no near-duplicate pair in two splits",
        ),
    ]


def export_context(
    curata: CurataSettings, clip: ClipModel, exports: ExportSettings, catalog: pa.Table, quality: list[pa.Table]
) -> ExportContext:
    """Vectors come from the model `image_embeddings` last ran with, never another; `quality` are the
    sources' image-quality tables, whose flags leave rows out as the `exports` resource says."""
    fingerprints = sorted(set(catalog.column("fingerprint").to_pylist()))
    fingerprint = fingerprints[0] if fingerprints else ""
    store = curata.embedding_store

    def vectors_for(hashes: list[str]) -> dict[str, list[float]]:
        return store.vectors(fingerprint, hashes) if fingerprint else {}

    return ExportContext(
        store=curata.store,
        data_root=curata.layout.root,
        vectors_for=vectors_for,
        embedding_fingerprint=fingerprint,
        image_limits=curata.image_limits,
        splits=exports.splits(clip.near_duplicate_cosine),
        quality=exports.quality_gate(quality),
    )


def published(
    asset: str, result: ExportResult, ctx: ExportContext, exports: ExportSettings
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """The version's metadata (readiness included) and both checks, recomputed from what was published."""
    ready = readiness(result.manifest, exports.readiness)
    yield MaterializeResult(
        metadata={
            "version": result.version,
            "path": result.key,
            "reused": result.reused,
            **{f"{split}_rows": n for split, n in result.rows.items()},
            "near_duplicate_groups": result.manifest["split"].get("near_duplicate_groups", 0),
            "readiness_score": ready.score,
            "is_ready": ready.is_ready,
            "readiness": MetadataValue.json(ready.as_dict()),
            "not_ready_because": ready.reason or "ready",
        }
    )
    yield problems_check(asset, "export_matches_manifest", export_problems(ctx.store, result.key))
    leaks = export_leaks(ctx.store, result.key, ctx.vectors_for)
    yield problems_check(asset, "splits_do_not_leak", leaks.leaks, images_without_vectors=len(leaks.unchecked_images))


def _partitions(table: pa.Table, column: str) -> list[str]:
    return sorted(set(table.column(column).to_pylist()))


def _refused(quarantine: pa.Table, keep: Callable[[dict], bool] = lambda row: True) -> dict[str, int]:
    return counts_by_rule(r for r in quarantine.to_pylist() if keep(r))


# The InstructPix2Pix dataset: what diffusers' train_instruct_pix2pix.py reads unchanged.
@asset(
    group_name=GROUP,
    deps=[data_health_report],  # its blocking check stops the export while any partition fails
    retry_policy=IO_RETRY,
    **described("export", {"parquet", "huggingface"}),
    check_specs=export_checks("edit_triplets"),
)
def edit_triplets(
    context: AssetExecutionContext,
    curata: CurataSettings,
    clip: ClipModel,
    exports: ExportSettings,
    validated_sessions: pa.Table,
    session_quarantine: pa.Table,
    session_image_quality: pa.Table,
    image_embeddings: pa.Table,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Accepted sessions as (input_image, edit_prompt, edited_image) with provenance, split by photo."""
    repeats = repeats_across_partitions(
        validated_sessions.select(["session_id", "partition_date", "timestamp", "pair_key"]).to_pylist()
    )
    if repeats:
        raise DuplicateAcrossPartitions(
            f"image pairs accepted more than once; re-materialize validated_sessions for {', '.join(repeats)}"
        )
    ctx = export_context(curata, clip, exports, image_embeddings, [session_image_quality])
    provenance = Provenance(
        {"validated_sessions": _partitions(validated_sessions, "partition_date")}, _refused(session_quarantine)
    )
    yield from published("edit_triplets", export_edit_triplets(validated_sessions, ctx, provenance), ctx, exports)


def _or_empty(table: pa.Table | None, name: str) -> pa.Table:
    return spec_of(name).empty() if table is None else table


# Pick-a-Pic v2's layout: what diffusers' train_diffusion_dpo.py reads unchanged.
@asset(
    group_name=GROUP,
    retry_policy=IO_RETRY,
    **described("export", {"parquet", "huggingface"}),
    check_specs=export_checks("preference_pairs"),
    ins={
        name: AssetIn(metadata={ALLOW_MISSING: True})
        for name in ("validated_selections", "curation_quarantine", "curation_image_quality")
    },
)
def preference_pairs(
    context: AssetExecutionContext,
    curata: CurataSettings,
    clip: ClipModel,
    exports: ExportSettings,
    historical_pairs: pa.Table,
    validated_selections: pa.Table | None,
    project_quarantine: pa.Table,
    curation_quarantine: pa.Table | None,
    project_image_quality: pa.Table,
    curation_image_quality: pa.Table | None,
    image_embeddings: pa.Table,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Chosen versus rejected images from finished projects and selection logs, with both CLIP vectors.

    A team without selection logs exports the projects' pairs alone; the manifest then lists no selections.
    """
    validated_selections = _or_empty(validated_selections, "validated_selections")
    curation_quarantine = _or_empty(curation_quarantine, "curation_quarantine")
    quality = [project_image_quality, _or_empty(curation_image_quality, "curation_image_quality")]
    ctx = export_context(curata, clip, exports, image_embeddings, quality)
    refused = _refused(project_quarantine)
    for rule, n in _refused(curation_quarantine, lambda r: r["record_kind"] == "selection_row").items():
        refused[rule] = refused.get(rule, 0) + n
    provenance = Provenance(
        {"historical_pairs": _partitions(historical_pairs, "project"), "validated_selections": ["_all"]}, refused
    )
    result = export_preference_pairs(historical_pairs, validated_selections, ctx, provenance)
    yield from published("preference_pairs", result, ctx, exports)


# Crops people drew, as an object-detection dataset (Hugging Face `objects`, COCO boxes).
@asset(
    group_name=GROUP,
    retry_policy=IO_RETRY,
    check_specs=export_checks("crop_boxes"),
    **described("export", {"parquet", "huggingface"}),
)
def crop_boxes(
    context: AssetExecutionContext,
    curata: CurataSettings,
    clip: ClipModel,
    exports: ExportSettings,
    validated_crops: pa.Table,
    curation_quarantine: pa.Table,
    curation_image_quality: pa.Table,
    image_embeddings: pa.Table,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """The chosen image of each validated crop with its box, in pixels and normalised."""
    ctx = export_context(curata, clip, exports, image_embeddings, [curation_image_quality])
    refused = _refused(curation_quarantine, lambda r: r["record_kind"] == "crop_row")
    provenance = Provenance({"validated_crops": ["_all"]}, refused)
    yield from published("crop_boxes", export_crop_boxes(validated_crops, ctx, provenance), ctx, exports)


EXPORT_ASSETS = [edit_triplets, preference_pairs, crop_boxes]
