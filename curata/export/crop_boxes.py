"""The crop dataset: the chosen image of each accepted crop row with the box a person drew on it.

The box is given three ways: pixels (x1, y1, x2, y2), normalised to [0, 1] by the size read from the
image file, and as Hugging Face `objects` (one object: COCO `bbox` [x, y, width, height] in pixels,
`category` "crop"), the convention of the `datasets` object-detection examples.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc

from curata.curation.tables import VALIDATED_CROPS
from curata.export.features import class_label, image_cell, image_col, sequence, value, with_feature
from curata.export.inputs import ExportContext, SourceChanged, read_verified
from curata.export.names import CROP_BOXES_NAME
from curata.export.neardup import load_vectors
from curata.export.splits import Grouping, assign_splits
from curata.export.versioned import DatasetSpec, ExportResult, Plan, Provenance, publish_export
from curata.images import ImageLimits, ImageRejected, inspect_image
from curata.tables import IMAGE_HASH, col, image_path
from curata.training.findings import FLAG_COLUMNS, Findings, flagged, probe_facts, probe_notes
from curata.training.tables import CROP_LABEL_ISSUES

SOURCE_TABLE = VALIDATED_CROPS.name
CATEGORIES = ["crop"]
_BOX = ("crop_x1", "crop_y1", "crop_x2", "crop_y2")
_NORMALISED = ("crop_nx1", "crop_ny1", "crop_nx2", "crop_ny2")
_EDGES = ("left", "top", "right", "bottom")
_OBJECTS = pa.struct([("bbox", pa.list_(pa.list_(pa.float32(), 4))), ("category", pa.list_(pa.int64()))])
_FROM_FILE = ("image", "width", "height", *_NORMALISED, "objects")  # filled in while writing

CROP_BOXES = DatasetSpec(
    name=CROP_BOXES_NAME,
    title="Curata crop boxes",
    columns=(
        image_col("image", "the chosen image, its file's bytes"),
        col("width", pa.int32(), "image width in pixels, read from the file"),
        col("height", pa.int32(), "image height in pixels, read from the file"),
        with_feature(
            col("objects", _OBJECTS, "the box as one object: COCO `bbox` [x, y, width, height] in pixels, `category`"),
            sequence({"bbox": sequence(value("float32"), 4), "category": class_label(CATEGORIES)}),
        ),
        *(col(c, pa.float64(), f"box {e}, pixels") for c, e in zip(_BOX, _EDGES, strict=True)),
        *(col(c, pa.float64(), f"box {e}, in [0, 1]") for c, e in zip(_NORMALISED, _EDGES, strict=True)),
        col("sizes_recovered", pa.bool_(), "the log had no size for this image (or (0, 0)); it was read from the file"),
        col("image_sha256", pa.string(), "content hash of the image", IMAGE_HASH),
        col("image_path", pa.string(), "path of the image under the data root", image_path("image_sha256")),
        col("stage", pa.string(), "the image's stage, as logged"),
        col("record_id", pa.string(), "the log row, `select_crop_log.csv:<line>`"),
        col("session_id", pa.string(), "the curation session, as logged"),
        col("set_id", pa.string(), "the image set, as logged"),
        col("timestamp", pa.string(), "as logged"),
        *FLAG_COLUMNS,
    ),
    grouping=Grouping(key_columns=("session_id", "set_id"), image_columns=("image_sha256",)),
    summary=(
        "Where a person cropped an image: each row is the image chosen from a set and the crop box drawn on it, "
        "for training a model that proposes crops (as an object detector with one class, or a box regressor)."
    ),
    sources="The crop log of the desktop selection tool (`curation/select_crop_log.csv`) and its images.",
    validation=(
        "Rows were parsed whatever tool version wrote them; paths were resolved under the data root; sizes "
        "logged as (0, 0) or left out were read from the image file (`sizes_recovered`); placeholder, "
        "degenerate and out-of-image boxes, bad indices and missing images were refused. Every image was "
        "inspected when validated and is inspected again on export, which is where width and height come from."
    ),
    rule_prefixes=("input.", "curation.", "crop.", "image."),
    usage=(
        "`objects` follows the `datasets` object-detection convention, so the Hugging Face object-detection "
        'guide\'s preprocessing (albumentations with `format="coco"`) applies unchanged; `category` is a '
        'ClassLabel with the single name "crop".'
    ),
)


def export_crop_boxes(
    crops: pa.Table, ctx: ExportContext, provenance: Provenance, findings: Findings | None = None
) -> ExportResult:
    """Writes a new version from the accepted crop rows, or reuses the latest if nothing changed; `findings`
    (the learnability probe's) flag rows and add the probe's figures to the card."""
    return publish_export(ctx.store, CROP_BOXES, plan_crop_boxes(crops, ctx, findings), provenance, now=ctx.now)


def plan_crop_boxes(crops: pa.Table, ctx: ExportContext, findings: Findings | None = None) -> Plan:
    gated = ctx.quality.apply(crops, ["chosen_sha256"])
    crops = gated.kept
    idx = crops.column("chosen_idx")
    rows = flagged(
        pa.table(
            {
                **{c: crops.column(c) for c in _BOX},
                "sizes_recovered": _chosen(crops.column("sizes_recovered"), idx),
                "image_sha256": crops.column("chosen_sha256"),
                "image_path": crops.column("chosen_path"),
                "stage": _chosen(crops.column("image_stages"), idx),
                **{c: crops.column(c) for c in ("record_id", "session_id", "set_id", "timestamp")},
            }
        ),
        findings,
    )
    order = pc.sort_indices(rows, sort_keys=[("record_id", "ascending")]).to_numpy()
    grouping = CROP_BOXES.grouping
    assignment = assign_splits(rows, grouping, load_vectors(grouping.images(rows), ctx.vectors_for), ctx.splits)
    recovered = int(pc.sum(rows.column("sizes_recovered")).as_py() or 0)
    return Plan(
        rows=rows,
        order=order,
        splits=assignment.codes[order],
        materialize=lambda plan: _from_files(plan, ctx.data_root, ctx.image_limits),
        accepted_records=crops.num_rows,
        split=assignment.facts(ctx.splits, grouping),
        extra={
            "embedding_fingerprint": ctx.embedding_fingerprint,
            "sizes_recovered": recovered,
            **probe_facts(findings),
            **gated.manifest,
        },
        notes=(
            f"{recovered} of {rows.num_rows} images had no usable size in the log; it was read from the file.",
            gated.note,
            *probe_notes(findings, CROP_LABEL_ISSUES.name),
        ),
    )


def _chosen(lists: pa.ChunkedArray, index: pa.ChunkedArray) -> pa.Array:
    """The chosen image's entry of a per-image list column."""
    values = [row[i] for row, i in zip(lists.to_pylist(), index.to_pylist(), strict=True)]
    return pa.array(values, lists.type.value_type)


def _from_files(plan: pa.Table, data_root: Path, limits: ImageLimits) -> pa.Table:
    columns: dict[str, list] = {name: [] for name in _FROM_FILE}
    for row in plan.to_pylist():
        data = read_verified(data_root, row["image_path"], row["image_sha256"], SOURCE_TABLE)
        try:
            facts = inspect_image(data, limits, name=PurePosixPath(row["image_path"]).name)
        except ImageRejected as exc:  # the same bytes passed at validation: the limits changed since
            raise SourceChanged(
                f"{row['image_path']}: {exc.rule.id} ({exc.detail}); re-materialize {SOURCE_TABLE}"
            ) from exc
        x1, y1, x2, y2 = (row[c] for c in _BOX)
        columns["image"].append(image_cell(data, PurePosixPath(row["image_path"]).name))
        columns["width"].append(facts.width)
        columns["height"].append(facts.height)
        for c, v, size in zip(_NORMALISED, (x1, y1, x2, y2), (facts.width, facts.height) * 2, strict=True):
            columns[c].append(v / size)
        columns["objects"].append({"bbox": [[x1, y1, x2 - x1, y2 - y1]], "category": [CATEGORIES.index("crop")]})
    return pa.table(
        {f.name: columns[f.name] if f.name in columns else plan.column(f.name) for f in CROP_BOXES.columns},
        schema=CROP_BOXES.schema,
    )
