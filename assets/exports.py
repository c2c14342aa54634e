"""Datasets that training code loads as is, written to new versioned folders."""

from collections.abc import Iterator

import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, asset

from assets.checks import problems_check
from assets.health import data_health_report
from curata.health import repeats_across_partitions
from curata.layout import EXPORTS
from resources import CurataSettings


class DuplicateAcrossPartitions(RuntimeError):
    """Days validated concurrently or out of order both accepted one image pair; re-running the later day fixes it."""


# The InstructPix2Pix dataset: what diffusers' train_instruct_pix2pix.py reads unchanged.
@asset(
    group_name="exports",
    deps=[data_health_report],  # its blocking check stops the export while any partition fails
    kinds={"parquet", "huggingface"},
    check_specs=[
        AssetCheckSpec(
            "export_matches_manifest",
            asset="edit_triplets",
            description="files, sha256, row counts as the manifest says; no photo in two splits",
        ),
    ],
)
def edit_triplets(
    context: AssetExecutionContext, curata: CurataSettings, validated_sessions: pa.Table
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Accepted sessions as (input_image, edit_prompt, edited_image) with provenance, split by photo."""
    repeats = repeats_across_partitions(
        validated_sessions.select(["session_id", "partition_date", "timestamp", "pair_key"]).to_pylist()
    )
    if repeats:
        raise DuplicateAcrossPartitions(
            f"image pairs accepted more than once; re-materialize validated_sessions for {', '.join(repeats)}"
        )
    from curata.export.edit_triplets import export_edit_triplets  # being rewritten (issue 12)
    from curata.export.verify import export_problems

    partitions = sorted(set(validated_sessions.column("partition_date").to_pylist()))
    result = export_edit_triplets(
        validated_sessions,
        data_root=curata.layout.root,
        exports_dir=curata.store.local_path(EXPORTS),
        source_partitions=partitions,
        validation_fraction=curata.validation_fraction,
    )
    yield MaterializeResult(
        metadata={
            "version": result.version,
            "path": str(result.folder),
            "reused": result.reused,
            "train_rows": result.rows["train"],
            "validation_rows": result.rows["validation"],
        }
    )
    yield problems_check("edit_triplets", "export_matches_manifest", export_problems(result.folder))
