"""Datasets that training code loads as is, written to new versioned folders."""

from collections.abc import Iterator

from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, asset

from curata.export.edit_triplets import export_edit_triplets
from curata.export.verify import duplicate_content, export_problems
from curata.sessions.tables import VALIDATED_SESSIONS_SCHEMA
from resources import CurataSettings


class DuplicateAcrossPartitions(RuntimeError):
    """Partitions validated out of order both accepted the same content; re-running the later one fixes it."""


# The InstructPix2Pix dataset: what diffusers' train_instruct_pix2pix.py reads unchanged.
@asset(
    group_name="exports",
    deps=["validated_sessions", "data_health_report"],
    kinds={"parquet", "huggingface"},
    check_specs=[
        AssetCheckSpec(
            "export_matches_manifest",
            asset="edit_triplets",
            description="files, sha256, row counts as the manifest says; no photo in two splits",
        ),
    ],
)
def edit_triplets(context: AssetExecutionContext, curata: CurataSettings) -> Iterator[MaterializeResult]:
    """Accepted sessions as (input_image, edit_prompt, edited_image) with provenance, split by photo."""
    warehouse = curata.warehouse
    partitions = warehouse.partitions("validated_sessions")
    sessions = warehouse.read_partitions("validated_sessions", partitions, schema=VALIDATED_SESSIONS_SCHEMA)
    duplicates = duplicate_content(sessions.select(["content_key", "session_id"]).to_pylist())
    if duplicates:
        listing = "; ".join(", ".join(v) for v in list(duplicates.values())[:10])
        raise DuplicateAcrossPartitions(
            f"{len(duplicates)} contents accepted more than once ({listing}). Partitions were validated out of "
            "order: re-materialize validated_sessions for the partitions of the later sessions."
        )
    result = export_edit_triplets(
        sessions,
        data_root=curata.layout.root,
        exports_dir=curata.layout.exports,
        source_partitions=partitions,
        validation_fraction=curata.validation_fraction,
    )
    problems = export_problems(result.folder)
    yield MaterializeResult(
        metadata={
            "version": result.version,
            "path": str(result.folder),
            "reused": result.reused,
            "train_rows": result.rows["train"],
            "validation_rows": result.rows["validation"],
        },
        check_results=[
            AssetCheckResult(
                check_name="export_matches_manifest",
                passed=not problems,
                metadata={"problems": "\n".join(problems[:20]) or "none"},
            ),
        ],
    )
