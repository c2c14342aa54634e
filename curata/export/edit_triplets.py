"""The InstructPix2Pix dataset: (input_image, edit_prompt, edited_image) per accepted session, plus provenance.

diffusers' `examples/instruct_pix2pix/train_instruct_pix2pix.py --dataset_name <folder>` reads it
with its default columns (`input_image`, `edit_prompt`, `edited_image`) and its `train` split.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc

from curata.export.features import image_cell, image_col
from curata.export.inputs import ExportContext, read_verified
from curata.export.names import EDIT_TRIPLETS_NAME
from curata.export.neardup import load_vectors
from curata.export.splits import Grouping, assign_splits
from curata.export.versioned import DatasetSpec, ExportResult, Plan, Provenance, publish_export
from curata.sessions.tables import VALIDATED_SESSIONS
from curata.tables import IMAGE_HASH, PSEUDONYM, SESSION_FOLDER, col

SOURCE_TABLE = VALIDATED_SESSIONS.name
_PATHS = {"input_image": "original_path", "edited_image": "edited_path"}
_HASHES = {"input_image": "original_sha256", "edited_image": "edited_sha256"}

EDIT_TRIPLETS = DatasetSpec(
    name=EDIT_TRIPLETS_NAME,
    title="Curata edit triplets (InstructPix2Pix)",
    columns=(
        image_col("input_image", "the original photo, its file's bytes"),
        col("edit_prompt", pa.string(), "the instruction the user typed, cleaned"),
        image_col("edited_image", "the AI result, its file's bytes"),
        col("session_id", pa.string(), "the generation session, `session-<ts>`", SESSION_FOLDER),
        col("timestamp", pa.timestamp("ms", tz="UTC"), "session time"),
        col("partition_date", pa.string(), "the day partition it was validated in"),
        col("original_sha256", pa.string(), "content hash of input_image", IMAGE_HASH),
        col("edited_sha256", pa.string(), "content hash of edited_image", IMAGE_HASH),
        col(
            "user_pseudonym",
            pa.string(),
            "keyed HMAC of the user's email (for deletion requests); null if anonymous",
            PSEUDONYM,
        ),
        col("edit_prompt_raw", pa.string(), "the instruction exactly as the user typed it"),
    ),
    grouping=Grouping(key_columns=("session_id",), image_columns=("original_sha256", "edited_sha256")),
    summary=(
        "Instruction-guided image edits: each row is the photo a user uploaded, the instruction they typed "
        "and the image the app generated from them, for training an InstructPix2Pix-style editing model."
    ),
    sources=(
        "Generation sessions of the reimagining web app (`sessions/session-<ts>/` with the original, the "
        "reimagined image and `metadata-<ts>.json`), validated day by day. Images are the files' original bytes."
    ),
    validation=(
        "Each session folder was checked against its metadata (names, types, ids, timestamps, sizes), every "
        "image was fully inspected (size limit, header, pixel limit, format, decode), emails were replaced by "
        "keyed pseudonyms, instructions were cleaned (Unicode NFC, one space for any run of whitespace, case "
        "kept) and empty, placeholder or wordless ones refused, and a session repeating earlier content was "
        "refused. Images are re-hashed on export."
    ),
    rule_prefixes=("input.", "session.", "image."),
    usage=(
        "Train with diffusers' InstructPix2Pix example, which reads these column names by default:\n\n"
        "```bash\naccelerate launch examples/instruct_pix2pix/train_instruct_pix2pix.py \\\n"
        "  --pretrained_model_name_or_path stable-diffusion-v1-5/stable-diffusion-v1-5 \\\n"
        "  --dataset_name exports/edit_triplets --resolution 256 --random_flip\n```"
    ),
)


_PLAN_NAMES = {"edit_prompt": "instruction", "edit_prompt_raw": "instruction_raw"}  # export -> validated_sessions
_PLAN_COLUMNS = [
    *(_PLAN_NAMES.get(f.name, f.name) for f in EDIT_TRIPLETS.columns if f.name not in _PATHS),
    *_PATHS.values(),
]


def export_edit_triplets(
    sessions: pa.Table, ctx: ExportContext, provenance: Provenance, left_out: dict[str, str] | None = None
) -> ExportResult:
    """Writes a new version from the accepted sessions, or reuses the latest if nothing changed.

    `left_out`: days held back (day -> why), recorded in the manifest and the card.
    """
    plan = plan_edit_triplets(sessions, ctx, left_out or {})
    return publish_export(ctx.store, EDIT_TRIPLETS, plan, provenance, now=ctx.now)


def plan_edit_triplets(sessions: pa.Table, ctx: ExportContext, left_out: dict[str, str] | None = None) -> Plan:
    gated = ctx.quality.apply(sessions, list(_HASHES.values()))
    sessions = gated.kept
    grouping = EDIT_TRIPLETS.grouping
    order = pc.sort_indices(sessions, sort_keys=[("timestamp", "ascending"), ("session_id", "ascending")]).to_numpy()
    vectors = load_vectors(grouping.images(sessions), ctx.vectors_for)
    assignment = assign_splits(sessions, grouping, vectors, ctx.splits)
    cleaned = changed_by_cleaning(sessions)
    return Plan(
        rows=sessions.select(_PLAN_COLUMNS),
        order=order,
        splits=assignment.codes[order],
        materialize=lambda plan: _with_images(plan, ctx.data_root),
        accepted_records=sessions.num_rows,
        split=assignment.facts(ctx.splits, grouping),
        extra={
            "embedding_fingerprint": ctx.embedding_fingerprint,
            "instructions_cleaned": cleaned,
            "left_out_days": left_out or {},
            **gated.manifest,
        },
        notes=(
            f"Cleaning changed {cleaned} of {sessions.num_rows} instructions; `edit_prompt_raw` keeps each as typed.",
            gated.note,
            *_left_out_notes(left_out or {}),
        ),
    )


def _left_out_notes(left_out: dict[str, str]) -> tuple[str, ...]:
    if not left_out:
        return ("Every stored day reconciled: no day was left out.",)
    return (
        f"{len(left_out)} day(s) left out until they are re-run, their sessions in none of the splits: "
        + "; ".join(f"`{day}`: {why}" for day, why in left_out.items()),
    )


def changed_by_cleaning(sessions: pa.Table) -> int:
    """How many accepted instructions differ from the text as typed."""
    changed = pc.not_equal(sessions.column("instruction"), sessions.column("instruction_raw"))
    return int(pc.sum(changed).as_py() or 0)


def _with_images(plan: pa.Table, data_root: Path) -> pa.Table:
    columns = {}
    for f in EDIT_TRIPLETS.columns:
        if f.name in _PATHS:
            paths, hashes = plan.column(_PATHS[f.name]).to_pylist(), plan.column(_HASHES[f.name]).to_pylist()
            columns[f.name] = [
                image_cell(read_verified(data_root, p, h, SOURCE_TABLE), PurePosixPath(p).name)
                for p, h in zip(paths, hashes, strict=True)
            ]
        else:
            columns[f.name] = plan.column(_PLAN_NAMES.get(f.name, f.name))
    return pa.Table.from_pydict(columns, schema=EDIT_TRIPLETS.schema)
