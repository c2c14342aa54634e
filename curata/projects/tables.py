"""The historical-project tables, declared once."""

import pyarrow as pa

from curata.quarantine import quarantine_spec
from curata.tables import IMAGE_HASH, TableSpec, col, image_path

_PROJECT = col("project", pa.string(), "project folder name (the partition key)")
_GROUP_KEY = col("group_key", pa.string(), "`YYYYMMDD_HHMMSS` from the stage file names")
_GROUP_TIME = col("group_time", pa.timestamp("s"), "the same, as a time")

HISTORICAL_GROUPS = TableSpec(
    "historical_groups",
    "Every stage group of a finished project: chosen, none kept, or quarantined.",
    (
        _PROJECT,
        _GROUP_KEY,
        _GROUP_TIME,
        col("outcome", pa.string(), "`chosen`, `none_kept` (every member rejected) or `quarantined` (two winners)"),
        col("members", pa.list_(pa.string()), "sandbox stage files, by stage", image_path()),
        col("stages", pa.list_(pa.int32()), "their stage numbers"),
        col("chosen_path", pa.string(), "the kept stage (null unless `chosen`)", image_path()),
        col("chosen_stage", pa.int32(), "its stage number"),
        col("winner_path", pa.string(), "the file in the project root that matched it", image_path()),
        col("match_method", pa.string(), "`name`, `content` (identical bytes) or `pixels` (lossless re-encode)"),
        col("anomaly", pa.bool_(), "a lower stage beat a higher one"),
    ),
    "project",
)

HISTORICAL_PAIRS = TableSpec(
    "historical_pairs",
    "One row per chosen-versus-rejected pair of a finished project.",
    (
        _PROJECT,
        _GROUP_KEY,
        _GROUP_TIME,
        col("chosen_path", pa.string(), "the kept sandbox image", image_path("chosen_sha256")),
        col(
            "rejected_path",
            pa.string(),
            "a sandbox image of the same group that was not kept",
            image_path("rejected_sha256"),
        ),
        col("chosen_stage", pa.int32(), "stage of the chosen image"),
        col("rejected_stage", pa.int32(), "stage of the rejected image"),
        col("chosen_sha256", pa.string(), "content hash of the chosen image", IMAGE_HASH),
        col("rejected_sha256", pa.string(), "content hash of the rejected image", IMAGE_HASH),
        col("anomaly", pa.bool_(), "`chosen_stage < rejected_stage`"),
        col("match_method", pa.string(), "how the winner was matched"),
    ),
    "project",
    images_embedded=True,
)

_COUNT = pa.int64()
PROJECT_STATS = TableSpec(
    "project_stats",
    "Per project: files, groups, pairs, anomalies and the anomaly rate.",
    (
        _PROJECT,
        col("files_seen", _COUNT, "entries of the sandbox and winners folders"),
        col("sandbox_files", _COUNT, "entries of the sandbox"),
        col("winner_files", _COUNT, "entries of the winners folder"),
        col("grouped_files", _COUNT, "sandbox images placed in a group"),
        col("stray_files", _COUNT, "entries that fit no group (name, directory, link)"),
        col("image_refused_files", _COUNT, "images that failed the image inspection or link out of the data root"),
        col("groups", _COUNT, "stage groups"),
        col("groups_chosen", _COUNT, "groups with exactly one winner"),
        col("groups_none_kept", _COUNT, "groups where nothing was kept"),
        col("groups_quarantined", _COUNT, "groups with two winners"),
        col("winners_matched", _COUNT, "winners matched to a group"),
        col("winners_unmatched", _COUNT, "winners that match no group"),
        col("pairs", _COUNT, "chosen-versus-rejected pairs"),
        col("anomalies", _COUNT, "chosen groups where a lower stage won"),
        col("anomaly_rate", pa.float64(), "anomalies / chosen groups"),
    ),
    "project",
)

PROJECT_QUARANTINE = quarantine_spec(
    "project_quarantine",
    "Stray files, refused images, two-winner groups and orphan winners; record id = path or `<project>/<group>`.",
    "project",
)
