"""Preference pairs in the Pick-a-Pic v2 layout that diffusers' Diffusion-DPO example reads unchanged.

One row per (chosen, rejected) pair, from finished projects and from selection logs: `jpg_0`, `jpg_1`
(raw image bytes, opened there with `Image.open(io.BytesIO(...))`), `label_0`, `label_1` (1.0 for the
preferred image, never a tie) and `caption`, plus provenance and both images' CLIP vectors. The caption is the
source's own text where it has a column for it, else the prompt recovered from the chosen (then the rejected)
image file or its sidecar (`curata.captions`), with where it came from in `caption_source`.
Which image is `jpg_0` depends only on the two images and the seed, never on which one won.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curata.captions import caption_of
from curata.curation.tables import VALIDATED_SELECTIONS
from curata.export.inputs import ExportContext, read_verified
from curata.export.names import PREFERENCE_PAIRS_NAME
from curata.export.neardup import Vectors, load_vectors
from curata.export.splits import Grouping, assign_splits
from curata.export.versioned import DatasetSpec, ExportResult, Plan, Provenance, publish_export
from curata.projects.tables import HISTORICAL_PAIRS
from curata.tables import IMAGE_HASH, col, image_path
from curata.text import caption_text
from curata.training.findings import FLAG_COLUMNS, Findings, flagged, probe_facts, probe_notes
from curata.training.tables import PAIR_LABEL_ISSUES

# jpg_0 is the image whose sha256 sorts first when the low bit of SHA-256(seed NUL lower sha | higher sha)
# is 0, else the other: half the pairs each way, the same order for the same two images in every export.
PAIR_ORDER_SEED = "curata-pair-order-1"
CAPTION_COLUMNS = ("prompt", "instruction")  # a source column holding the text the images were made from
VECTOR_COLUMN = "clip_0"  # the first image's vector: its width is the embedding model's
_TABLES = {"historical": HISTORICAL_PAIRS.name, "selection": VALIDATED_SELECTIONS.name}
_BATCH = 8192
_FLAGS = tuple(f.name for f in FLAG_COLUMNS)
_ORDER = ("source", "record_id", "chosen_sha256", "rejected_sha256")  # output order of the rows
# The split grouping over the plan's columns: the same rule as the spec's, which names the exported columns.
PLAN_GROUPING = Grouping(
    key_columns=("project", "session_id", "group_id"), image_columns=("chosen_sha256", "rejected_sha256")
)
PAIRS = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("project", pa.string()),
        ("session_id", pa.string()),
        ("group_id", pa.string()),
        ("chosen_path", pa.string()),
        ("rejected_path", pa.string()),
        ("chosen_sha256", pa.string()),
        ("rejected_sha256", pa.string()),
        ("chosen_stage", pa.int32()),
        ("rejected_stage", pa.int32()),
        ("anomaly", pa.bool_()),
        ("caption", pa.string()),
        ("caption_source", pa.string()),
    ]
)


def preference_spec(dim: int) -> DatasetSpec:
    """The dataset for vectors of `dim` dimensions (the embedding model's output size)."""
    vector = pa.list_(pa.float32(), dim)
    return DatasetSpec(
        name=PREFERENCE_PAIRS_NAME,
        title="Curata preference pairs (Pick-a-Pic v2 layout, for Diffusion-DPO)",
        columns=(
            col("jpg_0", pa.binary(), "the first image's file bytes (Pick-a-Pic v2: binary, not an Image feature)"),
            col("jpg_1", pa.binary(), "the second image's file bytes"),
            col("label_0", pa.float64(), "1.0 if jpg_0 was preferred, else 0.0"),
            col("label_1", pa.float64(), "1.0 if jpg_1 was preferred, else 0.0"),
            col("caption", pa.string(), "the prompt the images were made from where it was found; empty otherwise"),
            col("has_caption", pa.bool_(), "whether a caption was found (never invented)"),
            col(
                "caption_source",
                pa.string(),
                "where: `png:parameters`, `png:comfyui`, `exif:UserComment`, `xmp:dc:description`, `sidecar:txt`, "
                "`sidecar:json`, `source:<column>`, ...; empty without a caption",
            ),
            col("best_image_uid", pa.string(), "sha256 of the preferred image", IMAGE_HASH),
            col("image_0_uid", pa.string(), "sha256 of jpg_0", IMAGE_HASH),
            col("image_1_uid", pa.string(), "sha256 of jpg_1", IMAGE_HASH),
            col("image_0_path", pa.string(), "path of jpg_0 under the data root", image_path("image_0_uid")),
            col("image_1_path", pa.string(), "path of jpg_1 under the data root", image_path("image_1_uid")),
            col("stage_0", pa.int32(), "jpg_0's stage in its project group; null for selection logs"),
            col("stage_1", pa.int32(), "jpg_1's stage; null for selection logs"),
            col("source", pa.string(), "`historical` (a finished project) or `selection` (the selection log)"),
            col("record_id", pa.string(), "the source record: `<project>/<group>` or `<log>:<line>`"),
            col("project", pa.string(), "the project (historical pairs); null for selections"),
            col("session_id", pa.string(), "the curation session (selections); null for historical pairs"),
            col("group_id", pa.string(), "`<project>/<group_key>` or the selection set id"),
            col("anomaly", pa.bool_(), "a lower stage won over a higher one (historical pairs); null for selections"),
            *FLAG_COLUMNS,
            col("embedding_fingerprint", pa.string(), "the CLIP model that made clip_0 and clip_1"),
            col(VECTOR_COLUMN, vector, "CLIP image vector of jpg_0"),
            col("clip_1", vector, "CLIP image vector of jpg_1"),
        ),
        grouping=Grouping(
            key_columns=("project", "session_id", "group_id"), image_columns=("image_0_uid", "image_1_uid")
        ),
        summary=(
            "Which of two images a person preferred. Each row is one chosen-versus-rejected pair, in the layout "
            "of Pick-a-Pic v2, so preference-training code such as Diffusion-DPO reads it unchanged; the CLIP "
            "vectors of both images let a reward model learn why one stage beat another from visual features."
        ),
        sources=(
            "Finished projects (`projects/<p>/sandbox/<p>/` holds every generated stage, `projects/<p>/<p>/` the "
            "winners a person kept: each kept stage against every other stage of its group) and the selection "
            "log (`curation/selection_only_log.csv`: the chosen image against each rejected one)."
        ),
        validation=(
            "Project files were grouped by timestamp and winners matched by name, bytes or decoded pixels; groups "
            "with two winners, unmatched winners and stray files were refused. Selection rows were parsed whatever "
            "tool version wrote them, their paths resolved under the data root and every image inspected. Images "
            "are re-hashed on export; pairs of two identical images or without vectors are left out and counted."
        ),
        rule_prefixes=("input.", "project.", "curation.", "selection.", "image."),
        usage=(
            "Train with diffusers' Diffusion-DPO example (it reads `jpg_0`, `jpg_1`, `label_0`, `caption`; its "
            "default split is `validation`, so name the split):\n\n```bash\naccelerate launch "
            "examples/research_projects/diffusion_dpo/train_diffusion_dpo.py \\\n"
            "  --pretrained_model_name_or_path stable-diffusion-v1-5/stable-diffusion-v1-5 \\\n"
            "  --dataset_name exports/preference_pairs --dataset_split_name train\n```\n\n"
            "Rows without a caption train with an empty prompt (unconditional preference): to train a prompted "
            'preference only, keep the rows with a caption (`ds.filter(lambda r: r["has_caption"])`); the '
            "notes above count the captions by source."
        ),
    )


def export_preference_pairs(
    historical_pairs: pa.Table,
    selections: pa.Table,
    ctx: ExportContext,
    provenance: Provenance,
    findings: Findings | None = None,
) -> ExportResult:
    """Writes a new version from both sources, or reuses the latest if nothing changed; `findings` (the
    learnability probe's) flag rows and add the probe's figures to the card."""
    pairs = pair_table(historical_pairs, selections)
    images = pa.chunked_array(pairs.column("chosen_sha256").chunks + pairs.column("rejected_sha256").chunks)
    vectors = load_vectors(sorted(pc.unique(images).to_pylist()), ctx.vectors_for)
    spec = preference_spec(vectors.matrix.shape[1] if vectors.hashes else 1)
    plan = plan_preference_pairs(pairs, ctx, vectors, spec, findings)
    del pairs, images  # the plan holds what is needed: free the rest before the images are read
    return publish_export(ctx.store, spec, plan, provenance, now=ctx.now)


def pair_table(historical_pairs: pa.Table, selections: pa.Table) -> pa.Table:
    """Every (chosen, rejected) pair of both sources, one row each, in the PAIRS schema."""
    return pa.concat_tables([_historical(historical_pairs), _selections(selections)])


def plan_preference_pairs(
    pairs: pa.Table, ctx: ExportContext, vectors: Vectors, spec: DatasetSpec, findings: Findings | None = None
) -> Plan:
    gated = ctx.quality.apply(pairs, ["chosen_sha256", "rejected_sha256"])
    # only the kept pairs' files are read for captions
    pairs = with_file_captions(gated.kept, ctx.data_root, ctx.max_sidecar_bytes)
    identical = pc.equal(pairs.column("chosen_sha256"), pairs.column("rejected_sha256"))
    known = pa.array(vectors.hashes, pa.string())
    with_vectors = pc.and_(
        pc.is_in(pairs.column("chosen_sha256"), known), pc.is_in(pairs.column("rejected_sha256"), known)
    )
    left_out = {
        "identical_images": _names(pairs.filter(identical)),
        "without_vectors": _names(pairs.filter(pc.and_(pc.invert(identical), pc.invert(with_vectors)))),
    }
    exported = pc.and_(pc.invert(identical), with_vectors)
    rows = flagged(pairs.append_column("chosen_first", _chosen_first(pairs)), findings)
    by_record = pc.sort_indices(rows, sort_keys=[(c, "ascending") for c in _ORDER]).to_numpy()
    order = by_record[exported.to_numpy(zero_copy_only=False)[by_record]]
    assignment = assign_splits(rows, PLAN_GROUPING, vectors, ctx.splits, keep=order, stratum="source")
    extra, notes = _facts(
        rows.select(["caption_source", "chosen_first"]).filter(exported), left_out, ctx.embedding_fingerprint
    )
    return Plan(
        rows=rows,
        order=order,
        splits=assignment.codes[order],
        materialize=lambda chunk: _exported_rows(chunk, spec, ctx.data_root, vectors, ctx.embedding_fingerprint),
        accepted_records=len(pc.unique(pairs.column("record_id"))),
        split=assignment.facts(ctx.splits, spec.grouping),
        extra={**extra, **probe_facts(findings), **gated.manifest},
        notes=(*notes, gated.note, *probe_notes(findings, PAIR_LABEL_ISSUES.name)),
    )


def pair_order(sha_a: str, sha_b: str, seed: str = PAIR_ORDER_SEED) -> tuple[str, str]:
    """(image 0, image 1): the same two images always in the same order, whichever was preferred."""
    low, high = sorted((sha_a, sha_b))
    flip = hashlib.sha256(f"{seed}\x00{low}|{high}".encode()).digest()[-1] & 1
    return (high, low) if flip else (low, high)


def _historical(table: pa.Table) -> pa.Table:
    group_id = pc.binary_join_element_wise(table.column("project"), table.column("group_key"), "/")
    return _pairs(
        table,
        source="historical",
        record_id=group_id,
        project=table.column("project"),
        session_id=None,
        group_id=group_id,
        rejected_path=table.column("rejected_path"),
        rejected_sha256=table.column("rejected_sha256"),
    )


def _selections(table: pa.Table) -> pa.Table:
    """One row per rejected image: the chosen one against each."""
    base = table.take(pc.list_parent_indices(table.column("rejected_sha256")))
    return _pairs(
        base,
        source="selection",
        record_id=base.column("record_id"),
        project=None,
        session_id=base.column("session_id"),
        group_id=base.column("set_id"),
        rejected_path=pc.list_flatten(table.column("rejected_paths")),
        rejected_sha256=pc.list_flatten(table.column("rejected_sha256")),
    )


def _pairs(base: pa.Table, source: str, **columns: object) -> pa.Table:
    n = base.num_rows
    given = {**columns, "source": pa.repeat(pa.scalar(source, pa.string()), n)}
    for name in ("chosen_path", "chosen_sha256", "chosen_stage", "rejected_stage", "anomaly"):
        given.setdefault(name, base.column(name) if name in base.column_names else None)
    given["caption"], given["caption_source"] = _caption(base)
    return pa.table(
        {f.name: given[f.name] if given[f.name] is not None else pa.nulls(n, f.type) for f in PAIRS}, schema=PAIRS
    )


def _caption(table: pa.Table) -> tuple[pa.Array, pa.Array]:
    """The source's own text, cleaned, and `source:<column>`, where it has a column for it (an empty or placeholder
    one counts as none)."""
    for name in CAPTION_COLUMNS:
        if name in table.column_names:
            texts = [caption_text(t) for t in table.column(name).to_pylist()]
            return pa.array(texts, pa.string()), pa.array([t and f"source:{name}" for t in texts], pa.string())
    return pa.nulls(table.num_rows, pa.string()), pa.nulls(table.num_rows, pa.string())


def with_file_captions(pairs: pa.Table, data_root: Path, max_sidecar_bytes: int) -> pa.Table:
    """Rows without a caption from their source get the one their chosen image carries, else their rejected
    image's (read once per file), or stay without."""
    found: dict[str, tuple[str | None, str | None]] = {}

    def of(rel: str) -> tuple[str | None, str | None]:
        if rel not in found:
            caption = caption_of(data_root / rel, data_root, max_sidecar_bytes)
            found[rel] = (caption.text, caption.source) if caption else (None, None)
        return found[rel]

    texts, sources = pairs.column("caption").to_pylist(), pairs.column("caption_source").to_pylist()
    for i, (chosen, rejected) in enumerate(
        zip(pairs.column("chosen_path").to_pylist(), pairs.column("rejected_path").to_pylist(), strict=True)
    ):
        if texts[i] is None:
            texts[i], sources[i] = of(chosen) if of(chosen)[0] is not None else of(rejected)
    at = pairs.schema.get_field_index
    pairs = pairs.set_column(at("caption"), "caption", pa.array(texts, pa.string()))
    return pairs.set_column(at("caption_source"), "caption_source", pa.array(sources, pa.string()))


def _exported_rows(chunk: pa.Table, spec: DatasetSpec, data_root: Path, vectors: Vectors, fingerprint: str) -> pa.Table:
    """Pairs as the dataset's rows: images placed by pair_order, labelled, read, with their vectors."""
    first = chunk.column("chosen_first")
    columns: dict[str, object] = {
        "label_0": pc.if_else(first, 1.0, 0.0),
        "label_1": pc.if_else(first, 0.0, 1.0),
        "caption": pc.fill_null(chunk.column("caption"), ""),
        "has_caption": pc.is_valid(chunk.column("caption")),
        "caption_source": pc.fill_null(chunk.column("caption_source"), ""),
        "best_image_uid": chunk.column("chosen_sha256"),
        "embedding_fingerprint": pa.repeat(pa.scalar(fingerprint, pa.string()), chunk.num_rows),
        **{
            name: chunk.column(name)
            for name in ("source", "record_id", "project", "session_id", "group_id", "anomaly", *_FLAGS)
        },
    }
    tables = [_TABLES[t] for t in chunk.column("source").to_pylist()]
    for i, (a, b) in enumerate((("chosen", "rejected"), ("rejected", "chosen"))):
        for name, part in ((f"image_{i}_uid", "sha256"), (f"image_{i}_path", "path"), (f"stage_{i}", "stage")):
            columns[name] = pc.if_else(first, chunk.column(f"{a}_{part}"), chunk.column(f"{b}_{part}"))
        paths, hashes = columns[f"image_{i}_path"].to_pylist(), columns[f"image_{i}_uid"].to_pylist()
        columns[f"jpg_{i}"] = [read_verified(data_root, p, h, t) for p, h, t in zip(paths, hashes, tables, strict=True)]
        clip = vectors.matrix[[vectors.row_of[h] for h in hashes]].astype(np.float32, copy=False)
        columns[f"clip_{i}"] = pa.FixedSizeListArray.from_arrays(pa.array(clip.ravel()), clip.shape[1])
    return pa.table({f.name: columns[f.name] for f in spec.columns}, schema=spec.schema)


def _chosen_first(pairs: pa.Table) -> pa.Array:
    """Whether pair_order puts the chosen image first, a batch of rows at a time (no list of every hash)."""
    first = np.zeros(pairs.num_rows, dtype=bool)
    for start in range(0, pairs.num_rows, _BATCH):
        part = pairs.slice(start, _BATCH)
        chosen, rejected = part.column("chosen_sha256").to_pylist(), part.column("rejected_sha256").to_pylist()
        first[start : start + part.num_rows] = [pair_order(c, r)[0] == c for c, r in zip(chosen, rejected, strict=True)]
    return pa.array(first)


def _facts(exported: pa.Table, left_out: dict[str, list[str]], fingerprint: str) -> tuple[dict, tuple[str, ...]]:
    """The manifest's and the card's facts about captions, image order and pairs left out."""
    rows = exported.num_rows
    by_source = Counter(s for s in exported.column("caption_source").to_pylist() if s)
    captioned = sum(by_source.values())
    first_won = int(pc.sum(exported.column("chosen_first")).as_py() or 0)
    extra = {
        "embedding_fingerprint": fingerprint,
        "pair_order_seed": PAIR_ORDER_SEED,
        "captions": {
            "with_caption": captioned,
            "without_caption": rows - captioned,
            "by_source": dict(sorted(by_source.items())),
        },
        "left_out": left_out,
    }
    sources = ", ".join(f"`{s}` {n}" for s, n in sorted(by_source.items())) or "none"
    notes = (
        f"{captioned} rows have a caption and {rows - captioned} have none (`caption` empty, `has_caption` false). "
        f"By source: {sources}. Captions are the prompts the generators wrote into the image files (PNG text "
        "chunks, EXIF, XMP) or beside them (`.txt`/`.json` sidecars), or a source column; never invented.",
        f"`jpg_0` is the image whose sha256 sorts first when the low bit of SHA-256 of `{PAIR_ORDER_SEED}`, "
        "a NUL byte and the two hashes (sorted, joined by `|`) is 0, else the other one: which image comes "
        f"first does not depend on which won. The preferred image is `jpg_0` in {first_won} of {rows} rows.",
        f"Left out: {len(left_out['identical_images'])} pairs whose two images are identical and "
        f"{len(left_out['without_vectors'])} pairs with an image that has no vector of this model "
        "(named in manifest.json).",
    )
    return extra, notes


def _names(pairs: pa.Table) -> list[str]:
    return [
        f"{r}: {c} > {j}"
        for r, c, j in zip(
            pairs.column("record_id").to_pylist(),
            pairs.column("chosen_path").to_pylist(),
            pairs.column("rejected_path").to_pylist(),
            strict=True,
        )
    ]
