"""Selections and crops from the curation logs: validated, recovered where possible, or quarantined."""

from collections.abc import Iterator

import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Output, multi_asset

from assets.checks import actionable_check, actionable_spec, problems_check
from assets.pictures import crop_pictures, pair_pictures
from assets.policies import table_out
from assets.quality import quality_output
from curata.curation import CURATION
from curata.curation.checks import crop_problems, path_format_problems
from curata.curation.logs import CROP_LOG, SELECTION_LOG, record_ids, validate_log
from curata.curation.paths import PathResolver
from curata.curation.quality import accepted_paths, curation_image_quality
from curata.curation.tables import CURATION_QUARANTINE, VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.quality_tables import CURATION_IMAGE_QUALITY
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from resources import CurataSettings

RECONCILES = "logs_reconcile"
SOUND = "crops_are_sound"
ONE_FORMAT = "paths_share_one_format"


@multi_asset(
    group_name="curation",
    outs={
        VALIDATED_SELECTIONS.name: table_out(VALIDATED_SELECTIONS.name, "validated"),
        VALIDATED_CROPS.name: table_out(VALIDATED_CROPS.name, "validated"),
        CURATION_QUARANTINE.name: table_out(CURATION_QUARANTINE.name, "quarantine"),
        CURATION_IMAGE_QUALITY.name: table_out(CURATION_IMAGE_QUALITY.name, "validated"),
    },
    check_specs=[
        AssetCheckSpec(
            RECONCILES,
            asset=VALIDATED_CROPS.name,
            blocking=True,
            description="per log file: rows read = accepted + quarantined",
        ),
        AssetCheckSpec(
            SOUND,
            asset=VALIDATED_CROPS.name,
            blocking=True,
            description="positive sizes, normalised box inside [0, 1], no placeholder",
        ),
        AssetCheckSpec(
            ONE_FORMAT,
            asset=VALIDATED_CROPS.name,
            blocking=True,
            description="every path in both tables is POSIX and relative to the data root",
        ),
        actionable_spec(CURATION_QUARANTINE.name),
    ],
)
def curation_outcomes(context: AssetExecutionContext, curata: CurataSettings) -> Iterator[Output | AssetCheckResult]:
    layout = curata.layout
    folder = curata.require(CURATION)
    resolver = PathResolver(layout.root, curata.image_limits)
    results = {
        name: validate_log(folder / name, f"{CURATION.name}/{name}", resolver) for name in (SELECTION_LOG, CROP_LOG)
    }
    selections, crops = results[SELECTION_LOG].accepted, results[CROP_LOG].accepted
    quarantine = pa.concat_tables([r.quarantined for r in results.values()])
    q_rows = quarantine.to_pylist()
    recovered = sum(any(flags) for flags in crops.column("sizes_recovered").to_pylist())
    pictures = (layout.root, curata.image_limits)
    yield Output(
        selections,
        output_name=VALIDATED_SELECTIONS.name,
        metadata={"accepted": selections.num_rows, **pair_pictures(selections.to_pylist(), *pictures)},
    )
    yield Output(
        crops,
        output_name=VALIDATED_CROPS.name,
        metadata={"accepted": crops.num_rows, "recovered": recovered, **crop_pictures(crops.to_pylist(), *pictures)},
    )
    yield Output(
        quarantine,
        output_name=CURATION_QUARANTINE.name,
        metadata={"quarantined": len(q_rows), **counts_by_rule(q_rows)},
    )
    yield quality_output(curation_image_quality(selections, crops, resolver), CURATION_IMAGE_QUALITY.name)

    summaries, failing = [], []
    for name, result in results.items():
        rec = reconcile(
            record_ids(folder / name, name),
            {
                "accepted": result.accepted.column("record_id").to_pylist(),
                "quarantined": result.quarantined.column("record_id").to_pylist(),
            },
        )
        summaries.append(f"{name}: {rec.describe()}")
        failing += [] if rec.ok else [summaries[-1]]
    yield problems_check(VALIDATED_CROPS.name, RECONCILES, failing, summary="\n".join(summaries))
    yield problems_check(VALIDATED_CROPS.name, SOUND, crop_problems(crops.to_pylist()))
    paths = accepted_paths(selections, crops)
    yield problems_check(VALIDATED_CROPS.name, ONE_FORMAT, path_format_problems(paths), paths=len(paths))
    yield actionable_check(CURATION_QUARANTINE.name, q_rows)
