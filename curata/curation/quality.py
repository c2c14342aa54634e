"""The quality table of the curation logs: every image an accepted selection or crop row names."""

from __future__ import annotations

import pyarrow as pa

from curata.curation.paths import PathResolver
from curata.quality_tables import CURATION_IMAGE_QUALITY, quality_table


def accepted_paths(selections: pa.Table, crops: pa.Table) -> list[str]:
    """Every image path of the accepted rows, repeats included."""
    paths = [p for ps in crops.column("image_paths").to_pylist() for p in ps]
    paths += selections.column("chosen_path").to_pylist()
    return paths + [p for ps in selections.column("rejected_paths").to_pylist() for p in ps]


def curation_image_quality(selections: pa.Table, crops: pa.Table, resolver: PathResolver) -> pa.Table:
    """From the facts the resolver's inspections already hold: nothing is decoded again."""
    return quality_table(
        CURATION_IMAGE_QUALITY, ((p, resolver.inspect(p)) for p in set(accepted_paths(selections, crops)))
    )
