"""The image-quality output every validating multi-asset yields, described the same way."""

from collections import Counter

import pyarrow as pa
from dagster import Output

from curata.quality import FLAGS


def quality_output(table: pa.Table, output_name: str) -> Output[pa.Table]:
    """The table with how many images were measured and flagged, per flag (zeros included, for the UI's plots)."""
    per_flag = Counter(flag for flags in table.column("quality_flags").to_pylist() for flag in flags)
    flagged = sum(bool(flags) for flags in table.column("quality_flags").to_pylist())
    metadata = {"images": table.num_rows, "flagged": flagged, **{f"flag_{f}": per_flag[f] for f in FLAGS}}
    return Output(table, output_name=output_name, metadata=metadata)
