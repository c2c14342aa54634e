"""Is a dataset learnable, which labels look wrong, and training on it once it is ready.

The probes sit upstream of the exports they probe: an export takes its probe's figures into the card
and flags the rows the probe doubts. The training steps run after a ready export, launched by
sensors/training_sensor.py.
"""

from collections.abc import Iterator, Sequence

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetIn,
    Failure,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)

from assets.exports import export_context
from assets.pictures import crop_pictures, pair_pictures
from assets.policies import IO_RETRY, described, table_out
from curata.curation.tables import VALIDATED_SELECTIONS
from curata.export.crop_boxes import CROP_BOXES
from curata.export.names import PREFERENCE_PAIRS_NAME
from curata.export.versioned import latest_version
from curata.training.command import run_training
from curata.training.crops import probe_crop_boxes
from curata.training.findings import Findings
from curata.training.pairs import probe_preference_pairs
from curata.training.tables import CROP_FIGURES, CROP_LABEL_ISSUES, PAIR_FIGURES, PAIR_LABEL_ISSUES
from resources import CurataSettings
from resources.clip_model import ClipModel
from resources.export_settings import ExportSettings
from resources.training_settings import TrainingSettings
from resources.warehouse_io import ALLOW_MISSING

GROUP = "training"
ISSUES_SHOWN = 20  # rows of the label-issues table in the asset's metadata


def weights_of(curata: CurataSettings, fingerprint: str) -> str:
    """The model's weights as its model.json records them; empty when nothing was embedded yet."""
    return str(curata.embedding_store.model_description(fingerprint).get("weights", "")) if fingerprint else ""


def figure_metadata(findings: Findings) -> dict:
    """The figure beside each baseline, and what it can mean (random weights included), for the UI."""
    facts = findings.facts()
    return {
        "score": facts["score"],
        **{f"baseline: {name}": value for name, value in facts["baselines"].items()},
        "learnable": facts["learnable"],
        "label_issues": facts["label_issues"],
        "reading": MetadataValue.md(findings.figures.column("reading")[0].as_py()),
    }


def issue_metadata(rows: Sequence[dict], pictures: dict) -> dict:
    """The count, the first rows with their reason, and their thumbnails."""
    lines = [f"| `{r['record_id']}` | {r['reason']} |" for r in rows[:ISSUES_SHOWN]]
    table = "| record | why the label is doubted |\n|---|---|\n" + "\n".join(lines)
    return {"label_issues": len(rows), "issues": MetadataValue.md(table if rows else "none"), **pictures}


@multi_asset(
    group_name=GROUP,
    outs={
        PAIR_FIGURES.name: table_out(PAIR_FIGURES.name, "training"),
        PAIR_LABEL_ISSUES.name: table_out(PAIR_LABEL_ISSUES.name, "training"),
    },
    ins={VALIDATED_SELECTIONS.name: AssetIn(metadata={ALLOW_MISSING: True})},
    retry_policy=IO_RETRY,
)
def pair_probe(
    context: AssetExecutionContext,
    curata: CurataSettings,
    clip: ClipModel,
    exports: ExportSettings,
    historical_pairs: pa.Table,
    validated_selections: pa.Table | None,
    image_embeddings: pa.Table,
) -> Iterator[Output]:
    """Can a ranker on the two CLIP vectors tell which image was preferred? Cross-validated by split group."""
    ctx = export_context(curata, clip, exports, image_embeddings, [])  # the probe sees every row; the export gates
    selections = VALIDATED_SELECTIONS.empty() if validated_selections is None else validated_selections
    findings = probe_preference_pairs(historical_pairs, selections, ctx, weights_of(curata, ctx.embedding_fingerprint))
    yield Output(findings.figures, output_name=PAIR_FIGURES.name, metadata=figure_metadata(findings))
    rows = findings.issues.to_pylist()
    pictures = pair_pictures(rows, curata.layout.root, curata.image_limits) if rows else {}
    yield Output(findings.issues, output_name=PAIR_LABEL_ISSUES.name, metadata=issue_metadata(rows, pictures))


@multi_asset(
    group_name=GROUP,
    outs={
        CROP_FIGURES.name: table_out(CROP_FIGURES.name, "training"),
        CROP_LABEL_ISSUES.name: table_out(CROP_LABEL_ISSUES.name, "training"),
    },
    retry_policy=IO_RETRY,
)
def crop_probe(
    context: AssetExecutionContext,
    curata: CurataSettings,
    clip: ClipModel,
    exports: ExportSettings,
    validated_crops: pa.Table,
    image_embeddings: pa.Table,
) -> Iterator[Output]:
    """Can a box regressor on the image's CLIP vector place the crop a person drew? Cross-validated by split group."""
    ctx = export_context(curata, clip, exports, image_embeddings, [])  # the probe sees every row; the export gates
    findings = probe_crop_boxes(validated_crops, ctx, weights_of(curata, ctx.embedding_fingerprint))
    yield Output(findings.figures, output_name=CROP_FIGURES.name, metadata=figure_metadata(findings))
    rows = findings.issues.to_pylist()
    pictures = crop_pictures(rows, curata.layout.root, curata.image_limits) if rows else {}
    yield Output(findings.issues, output_name=CROP_LABEL_ISSUES.name, metadata=issue_metadata(rows, pictures))


def training_step(dataset: str):
    """The user's training command on the dataset's latest version; its exit code and log land in the run."""

    @asset(
        name=f"{dataset}_training",
        group_name=GROUP,
        deps=[dataset],
        description=f"The `training` resource's command, run on the latest `{dataset}` version.",
        **described("training", {"python"}),
    )
    def _step(context: AssetExecutionContext, curata: CurataSettings, training: TrainingSettings) -> MaterializeResult:
        latest = latest_version(curata.store, dataset)
        if latest is None:
            raise Failure(f"{dataset} has no published version to train on; materialize {dataset} first")
        if not training.training_command.strip():
            return MaterializeResult(metadata={"version": latest.version, "training_command": "none configured"})
        outcome = run_training(training.training_command, f"{curata.store.url}/{latest.key}", context.log.info)
        metadata = {
            "version": latest.version,
            "command": MetadataValue.json(outcome.argv),
            "exit_code": outcome.exit_code,
            "log": MetadataValue.md(f"```\n{outcome.log_tail}\n```"),
        }
        if outcome.exit_code != 0:
            raise Failure(f"the training command exited with {outcome.exit_code}", metadata=metadata)
        return MaterializeResult(metadata=metadata)

    return _step


PROBES = {PREFERENCE_PAIRS_NAME: pair_probe, CROP_BOXES.name: crop_probe}  # each dataset's probe
TRAINING_STEPS = {name: training_step(name) for name in PROBES}
TRAINING_ASSETS = [pair_probe, crop_probe, *TRAINING_STEPS.values()]
