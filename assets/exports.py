"""Datasets that training code loads as is, each published as a new version with a manifest and a card."""

from collections.abc import Callable, Iterator

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.checks import problems_check
from assets.policies import IO_RETRY, described
from curata.curation.tables import CURATION_QUARANTINE, VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.export.crop_boxes import CROP_BOXES, export_crop_boxes
from curata.export.edit_triplets import EDIT_TRIPLETS, export_edit_triplets
from curata.export.inputs import ExportContext
from curata.export.names import PREFERENCE_PAIRS_NAME
from curata.export.preference_pairs import export_preference_pairs
from curata.export.readiness import readiness
from curata.export.verify import export_leaks, export_problems
from curata.export.versioned import ExportResult, Provenance
from curata.health import HEALTH_REPORT
from curata.projects.tables import HISTORICAL_PAIRS
from curata.quality_tables import CURATION_IMAGE_QUALITY
from curata.quarantine import counts_by_rule
from curata.sessions.health import SessionTables, days_left_out
from curata.sessions.tables import SESSION_QUARANTINE, VALIDATED_SESSIONS
from curata.tables import TableSpec
from curata.training.findings import Findings
from curata.training.tables import (
    CROP_FIGURES,
    CROP_KEYS,
    CROP_LABEL_ISSUES,
    PAIR_FIGURES,
    PAIR_KEYS,
    PAIR_LABEL_ISSUES,
)
from curata.warehouse import UNPARTITIONED
from resources import CurataSettings
from resources.clip_model import ClipModel
from resources.export_settings import ExportSettings
from resources.warehouse_io import ALLOW_MISSING

Days = dict[str, pa.Table]  # every stored partition of a daily table, by day

GROUP = "exports"
MATCHES_MANIFEST = "export_matches_manifest"
NO_LEAKS = "splits_do_not_leak"


def export_checks(asset: str) -> list[AssetCheckSpec]:
    """Both blocking: a version that differs from its manifest, or leaks a group across splits, stops what follows."""
    return [
        AssetCheckSpec(
            MATCHES_MANIFEST,
            asset=asset,
            blocking=True,
            description="files, sha256, bytes and row counts as the manifest says",
        ),
        AssetCheckSpec(
            NO_LEAKS,
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
        max_sidecar_bytes=curata.max_metadata_bytes,
        splits=exports.splits(clip.near_duplicate_cosine),
        quality=exports.quality_gate(quality),
    )


def published(
    asset: str, result: ExportResult, ctx: ExportContext, exports: ExportSettings, **metadata: object
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
            **metadata,
        }
    )
    yield problems_check(asset, MATCHES_MANIFEST, export_problems(ctx.store, result.key))
    leaks = export_leaks(ctx.store, result.key, ctx.vectors_for)
    yield problems_check(asset, NO_LEAKS, leaks.leaks, images_without_vectors=len(leaks.unchecked_images))


def _partitions(table: pa.Table, column: str) -> list[str]:
    return sorted(set(table.column(column).to_pylist()))


def _refused(quarantine: pa.Table, keep: Callable[[dict], bool] = lambda row: True) -> dict[str, int]:
    return counts_by_rule(r for r in quarantine.to_pylist() if keep(r))


# The InstructPix2Pix dataset: what diffusers' train_instruct_pix2pix.py reads unchanged.
@asset(
    group_name=GROUP,
    deps=[AssetKey(HEALTH_REPORT)],  # the report first: it names the days this export leaves out
    retry_policy=IO_RETRY,
    **described("export", {"parquet", "huggingface"}),
    check_specs=export_checks(EDIT_TRIPLETS.name),
)
def edit_triplets(
    context: AssetExecutionContext,
    curata: CurataSettings,
    clip: ClipModel,
    exports: ExportSettings,
    raw_sessions: Days,
    validated_sessions: Days,
    session_quarantine: Days,
    deferred_sessions: Days,
    session_image_quality: pa.Table,
    image_embeddings: pa.Table,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Accepted sessions as (input_image, edit_prompt, edited_image) with provenance, split by photo.

    A day that does not reconcile, or that accepted a copy of an earlier day's session, is left out (named in
    the card and the metadata); every other day publishes.
    """
    left_out = days_left_out(SessionTables(raw_sessions, validated_sessions, session_quarantine, deferred_sessions))
    if left_out:
        context.log.warning(f"left out of edit_triplets until re-run: {left_out}")
    days = sorted(set(validated_sessions) - set(left_out))
    sessions = _concat([validated_sessions[d] for d in days], VALIDATED_SESSIONS)
    refused = _refused(_concat([session_quarantine[d] for d in days if d in session_quarantine], SESSION_QUARANTINE))
    ctx = export_context(curata, clip, exports, image_embeddings, [session_image_quality])
    provenance = Provenance({VALIDATED_SESSIONS.name: days}, refused)
    result = export_edit_triplets(sessions, ctx, provenance, left_out)
    yield from published(EDIT_TRIPLETS.name, result, ctx, exports, left_out_days=MetadataValue.json(left_out))


def _concat(tables: list[pa.Table], spec: TableSpec) -> pa.Table:
    return pa.concat_tables(tables) if tables else spec.empty()


def _or_empty(table: pa.Table | None, spec: TableSpec) -> pa.Table:
    return spec.empty() if table is None else table


def _probe_ins(figures: str, issues: str) -> dict[str, AssetIn]:
    """The probe's tables (assets/training.py); an export published before its probe ever ran flags nothing."""
    return {name: AssetIn(metadata={ALLOW_MISSING: True}) for name in (figures, issues)}


def _findings(figures: pa.Table | None, issues: pa.Table | None, keys: tuple[str, ...]) -> Findings | None:
    return None if figures is None or issues is None else Findings(figures, issues, keys)


# Pick-a-Pic v2's layout: what diffusers' train_diffusion_dpo.py reads unchanged.
@asset(
    group_name=GROUP,
    retry_policy=IO_RETRY,
    **described("export", {"parquet", "huggingface"}),
    check_specs=export_checks(PREFERENCE_PAIRS_NAME),
    ins={
        **{
            spec.name: AssetIn(metadata={ALLOW_MISSING: True})
            for spec in (VALIDATED_SELECTIONS, CURATION_QUARANTINE, CURATION_IMAGE_QUALITY)
        },
        **_probe_ins(PAIR_FIGURES.name, PAIR_LABEL_ISSUES.name),
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
    preference_pairs_probe: pa.Table | None,
    preference_pairs_label_issues: pa.Table | None,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Chosen versus rejected images from finished projects and selection logs, with both CLIP vectors.

    A team without selection logs exports the projects' pairs alone; the manifest then lists no selections.
    """
    validated_selections = _or_empty(validated_selections, VALIDATED_SELECTIONS)
    curation_quarantine = _or_empty(curation_quarantine, CURATION_QUARANTINE)
    quality = [project_image_quality, _or_empty(curation_image_quality, CURATION_IMAGE_QUALITY)]
    ctx = export_context(curata, clip, exports, image_embeddings, quality)
    refused = _refused(project_quarantine)
    for rule, n in _refused(curation_quarantine, lambda r: r["record_kind"] == "selection_row").items():
        refused[rule] = refused.get(rule, 0) + n
    provenance = Provenance(
        {HISTORICAL_PAIRS.name: _partitions(historical_pairs, "project"), VALIDATED_SELECTIONS.name: [UNPARTITIONED]},
        refused,
    )
    findings = _findings(preference_pairs_probe, preference_pairs_label_issues, PAIR_KEYS)
    result = export_preference_pairs(historical_pairs, validated_selections, ctx, provenance, findings)
    yield from published(PREFERENCE_PAIRS_NAME, result, ctx, exports)


# Crops people drew, as an object-detection dataset (Hugging Face `objects`, COCO boxes).
@asset(
    group_name=GROUP,
    retry_policy=IO_RETRY,
    check_specs=export_checks(CROP_BOXES.name),
    **described("export", {"parquet", "huggingface"}),
    ins=_probe_ins(CROP_FIGURES.name, CROP_LABEL_ISSUES.name),
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
    crop_boxes_probe: pa.Table | None,
    crop_boxes_label_issues: pa.Table | None,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """The chosen image of each validated crop with its box, in pixels and normalised."""
    ctx = export_context(curata, clip, exports, image_embeddings, [curation_image_quality])
    refused = _refused(curation_quarantine, lambda r: r["record_kind"] == "crop_row")
    provenance = Provenance({VALIDATED_CROPS.name: [UNPARTITIONED]}, refused)
    findings = _findings(crop_boxes_probe, crop_boxes_label_issues, CROP_KEYS)
    yield from published(CROP_BOXES.name, export_crop_boxes(validated_crops, ctx, provenance, findings), ctx, exports)


EXPORT_ASSETS = [edit_triplets, preference_pairs, crop_boxes]
