"""The rule book: every way a record can be refused, with a stable id and a hint to fix it.

Rule ids are stable API: quarantine tables, ground-truth files and health reports refer to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    hint: str


@dataclass(frozen=True)
class Violation:
    """One broken rule, on one file, with the detail a person needs to find it."""

    rule: Rule
    file: str
    detail: str


class Refused(Exception):
    """Raised by a validator to send one record to quarantine with the rule it broke."""

    def __init__(self, rule: Rule, file: str, detail: str):
        super().__init__(f"{rule.id}: {detail}")
        self.violation = Violation(rule, file, detail)


@dataclass
class RuleBook:
    rules: dict[str, Rule] = field(default_factory=dict)

    def add(self, rule_id: str, summary: str, hint: str) -> Rule:
        if rule_id in self.rules:
            raise ValueError(f"rule {rule_id} defined twice")
        rule = Rule(rule_id, summary, hint)
        self.rules[rule_id] = rule
        return rule

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())


RULES = RuleBook()
_r = RULES.add

# Every input kind: session folders and files, curation images, project stages, library images
LINK_OUTSIDE_ROOT = _r(
    "input.link_outside_root",
    "a file or folder is a link that resolves outside the data root; it was not read",
    "Copy the real file or folder into the data root in place of the link (the detail names the link and "
    "where it points); links that stay inside the data root are followed.",
)

# Session folders (000_057987b8d86e96c3.txt)
FOLDER_NAME = _r(
    "session.folder_name",
    "folder name is not session-<YYYY-MM-DDTHH-MM-SS-mmmZ>",
    "Rename the folder to the session id the app wrote, e.g. session-2025-01-15T10-30-45-123Z.",
)
METADATA_MISSING = _r(
    "session.metadata_missing",
    "metadata-<ts>.json is missing",
    "Restore metadata-<ts>.json from the app's backup, or delete the folder if the session is abandoned.",
)
METADATA_TOO_LARGE = _r(
    "session.metadata_too_large",
    "metadata file is larger than the configured limit",
    "A metadata file is a few hundred bytes; inspect the file, it is not what the app writes.",
)
METADATA_UNPARSEABLE = _r(
    "session.metadata_unparseable",
    "metadata is not valid UTF-8 JSON",
    "Open the file and repair the JSON (often a write cut short); compare with training-log.jsonl.",
)
METADATA_NOT_OBJECT = _r(
    "session.metadata_not_object",
    "metadata JSON is not an object",
    "The file must hold one JSON object with the documented fields.",
)
FIELD_MISSING = _r(
    "session.field_missing",
    "a required metadata field is missing",
    "Add the field named in the detail; the app's metadata format lists every required field.",
)
FIELD_TYPE = _r(
    "session.field_type",
    "a metadata field has the wrong type",
    "Fix the field named in the detail to the documented type (strings for names, integers for sizes).",
)
SESSION_ID_MISMATCH = _r(
    "session.session_id_mismatch",
    "metadata sessionId disagrees with the folder name",
    "The folder was renamed or the metadata copied from another session; restore the matching pair.",
)
TIMESTAMP_MISMATCH = _r(
    "session.timestamp_mismatch",
    "metadata timestamp disagrees with the folder name",
    "The folder and metadata come from different sessions or the clock was rewritten; restore the original.",
)
INSTRUCTION_EMPTY = _r(
    "session.instruction_empty",
    "the edit instruction is empty or only whitespace",
    "A triplet needs the instruction the user typed; recover it from training-log.jsonl or drop the session.",
)
INSTRUCTION_PLACEHOLDER = _r(
    "session.instruction_placeholder",
    "the edit instruction is placeholder text (test, asdf, lorem ipsum, n/a, ...), not an edit",
    "Someone tried the app; recover the real instruction from training-log.jsonl or drop the session.",
)
INSTRUCTION_NO_WORDS = _r(
    "session.instruction_no_words",
    "the edit instruction has no letter or digit (a lone emoji, only punctuation)",
    "An edit model learns from words; recover the instruction the user meant or drop the session.",
)
INSTRUCTION_CONTROL = _r(
    "session.instruction_control_characters",
    "the edit instruction holds control characters (a NUL byte, an escape sequence)",
    "Fix the app's text input: write the instruction as printable text (newlines and tabs are fine).",
)
EMAIL_INVALID = _r(
    "session.email_invalid",
    "userEmail is neither an email address nor 'anonymous'",
    "Set userEmail to the address the user gave, or to 'anonymous'.",
)
FILE_MISSING = _r(
    "session.file_missing",
    "a file named by the metadata is missing",
    "Restore the image named in the detail from backup; the metadata must name files inside the folder.",
)
PATH_ESCAPES = _r(
    "session.path_escapes",
    "a referenced file escapes the session folder (.., absolute path or symlink out)",
    "Metadata must name plain files inside the session folder; replace links with the real files.",
)
UNREADABLE = _r(
    "session.unreadable",
    "a file or folder of the session could not be read (permissions, I/O error)",
    "Check the permissions and the disk; the detail names the operating-system error.",
)
FOLDER_IS_LINK = _r(
    "session.folder_is_link",
    "the session folder is a link that resolves to no folder (a loop, a dangling link, a link to a file)",
    "Replace the link with the real folder, or remove it; a link to a folder inside the data root is followed.",
)
FILE_TOO_LARGE = _r(
    "image.file_too_large",
    "the image file is larger than the configured limit",
    "Check the file: the app stores JPEGs of a few MB. Raise max_image_bytes only if this is expected.",
)
IMAGE_UNDECODABLE = _r(
    "image.undecodable",
    "the file is not an image Pillow can decode",
    "Re-export the image from the source; the bytes on disk are not a JPEG/PNG.",
)
IMAGE_UNREADABLE = _r(
    "image.unreadable",
    "the image file could not be read (permissions, I/O error, a link loop)",
    "Check the file's permissions and the disk; the detail names the operating-system error.",
)
IMAGE_FORMAT_MISMATCH = _r(
    "image.format_mismatch",
    "the bytes are not the format the file name's extension says (or the extension is not an image's)",
    "Re-export the image in the format its name says, or rename it; a disguised file is never decoded.",
)
IMAGE_TRUNCATED = _r(
    "image.truncated",
    "the image is truncated or corrupt partway through",
    "The write was cut short; restore the full file from the app's upload store.",
)
IMAGE_ZERO_DIMENSIONS = _r(
    "image.zero_dimensions",
    "the image header declares a zero width or height",
    "The writer produced an empty image; regenerate it.",
)
IMAGE_TOO_MANY_PIXELS = _r(
    "image.too_many_pixels",
    "the image header declares more pixels than the limit (decompression bomb)",
    "Refused before decoding. If the image is genuine, downscale it at the source.",
)
SIZE_MISMATCH = _r(
    "session.size_mismatch",
    "file size on disk disagrees with the size in the metadata",
    "The file was replaced or cut after the metadata was written; restore the original upload.",
)
DUPLICATE_CONTENT = _r(
    "session.duplicate_content",
    "the same original, edited image and instruction were already accepted in an earlier session",
    "Nothing to fix: the earlier session named in the detail is kept; delete this copy at the source.",
)
CONFLICTING_INSTRUCTION = _r(
    "session.conflicting_instruction",
    "the same original and edited image were already accepted with another instruction",
    "One image pair cannot teach two edits: keep the session named in the detail, or fix the instruction.",
)
ERASED = _r(
    "session.erased",
    "the session belongs to a person who asked for their data to be erased (by pseudonym, image or session id)",
    "It came back after an erasure request (a backup restore, a re-upload): delete it at the source, or run "
    "`curata forget --session-id <folder>` to remove it from every tier again.",
)

# training-log.jsonl
LOG_MALFORMED = _r(
    "training_log.malformed_line",
    "a training-log.jsonl line is not a JSON object with sessionId, timestamp and instruction",
    "Repair or remove the line; a partial last line usually means the app crashed mid-write.",
)
LOG_ORPHAN = _r(
    "training_log.no_session_folder",
    "a training-log.jsonl line names a session with no folder",
    "The folder was deleted or never written; restore it or remove the line.",
)
LOG_DISAGREES = _r(
    "training_log.disagrees_with_folder",
    "a training-log.jsonl line disagrees with its session folder's metadata",
    "The log and the folder differ in the field named in the detail; the folder's metadata is used.",
)
LOG_DUPLICATE = _r(
    "training_log.duplicate_line",
    "a session appears twice in training-log.jsonl",
    "The app logged the session twice; remove the repeated line.",
)

# Historical projects (003_5e4f6244ba11384c.txt)
PROJECT_STRAY_FILE = _r(
    "project.stray_file",
    "a file in the sandbox or winners folder belongs to no group (name is not YYYYMMDD_HHMMSS_stageN.ext)",
    "Rename it to the stage pattern if it is a generated stage, or move it out of the project folders.",
)
PROJECT_TWO_WINNERS = _r(
    "project.group_two_winners",
    "two or more winners match one group",
    "Keep only the image that was really chosen in the project root; the detail names the candidates.",
)
PROJECT_WINNER_WITHOUT_GROUP = _r(
    "project.winner_without_group",
    "a winner matches no sandbox group, by name or by content",
    "The sandbox lost the stages of this group, or the winner was edited (not a lossless copy).",
)
PROJECT_UNREADABLE = _r(
    "project.unreadable_image",
    "an image in the project could not be read or decoded for content matching",
    "Restore the file; the detail names the error.",
)
EMBEDDING_FAILED = _r(
    "embedding.failed",
    "an image that passed the image inspection could not be embedded by the model",
    "The detail names the error; the image is retried only when its bytes change. Re-export it if it persists.",
)

# Curation logs (002_357c048819baf7d6.txt)
ROW_TRUNCATED = _r(
    "curation.row_truncated",
    "the last row was cut off mid-write (no line end, fields missing)",
    "The logging tool crashed while writing; redo the decision or delete the partial line.",
)
ROW_MALFORMED = _r(
    "curation.row_malformed",
    "the row does not have the columns of any known tool version, or a field cannot be parsed",
    "Compare the row with the canonical header in docs/curation.md; the detail names the field.",
)
CURATION_FILE_MISSING = _r(
    "curation.file_missing",
    "a logged image path resolves to no file under the data root, even by file name",
    "Restore the image under the data root, or remove the row if the image was deleted on purpose.",
)
PATH_AMBIGUOUS = _r(
    "curation.path_ambiguous",
    "a logged path fits two or more files equally well (same name, same matching suffix)",
    "Log paths relative to the data root; the detail lists the candidates. Nothing was guessed.",
)
ID_INVALID = _r(
    "curation.id_invalid",
    "session_id or set_id holds control characters (a NUL byte, an escape sequence)",
    "Log ids as printable text; the detail names the field. Control characters break every tool downstream.",
)
NEG_PATHS_MALFORMED = _r(
    "selection.neg_paths_malformed",
    "neg_paths is not a JSON list of paths",
    'Write neg_paths as a JSON list, e.g. ["a.png", "b.png"] (quoted in the CSV).',
)
CHOSEN_AMONG_REJECTED = _r(
    "selection.chosen_among_rejected",
    "the chosen image is also listed among the rejected ones",
    "A choice cannot reject itself; fix the tool that built the row.",
)
CHOSEN_INDEX_OUT_OF_RANGE = _r(
    "crop.chosen_index_out_of_range",
    "chosen_idx does not point at one of the group's images",
    "chosen_idx is 0-based and must be below the number of image_k_path columns.",
)
CHOSEN_PATH_MISMATCH = _r(
    "crop.chosen_path_mismatch",
    "chosen_path is not the image that chosen_idx points at",
    "One of the two is wrong; check the tool's index bookkeeping.",
)
SIZE_UNRECOVERABLE = _r(
    "crop.size_unrecoverable",
    "the image size was logged as (0, 0) or left out, and the image is gone, so it cannot be recovered",
    "Restore the image file: the size is then read from its header on the next run.",
)
SIZE_DISAGREES = _r(
    "crop.size_disagrees",
    "the logged width and height disagree with the image file's header",
    "The tool logged another image's size, or the file was replaced; the detail gives both sizes.",
)
BOX_NOT_NUMERIC = _r(
    "crop.box_not_numeric",
    "a crop coordinate is missing or not a number",
    "crop_x1, crop_y1, crop_x2, crop_y2 are pixel numbers of the chosen image.",
)
BOX_PLACEHOLDER = _r(
    "crop.box_placeholder",
    "the crop box is a placeholder (0, 0, 1, 1 or the full frame) written by the historical extraction",
    "Only log a crop when a person drew one; placeholders carry no crop information.",
)
BOX_DEGENERATE = _r(
    "crop.box_degenerate",
    "the crop box has zero or negative width or height",
    "x2 must be greater than x1 and y2 greater than y1.",
)
BOX_OUTSIDE = _r(
    "crop.box_outside_image",
    "the crop box reaches outside the chosen image",
    "Clamp the box to the image, or check the image size the tool used.",
)

# Photo library (001_717608d7ee23b85d.txt)
LIBRARY_RECORD_MALFORMED = _r(
    "library.record_malformed",
    "a metadata record is not one JSON object (bad JSON, not UTF-8, another JSON type, or over the size limit)",
    "Repair the record at the line named in the file column; each line of images_metadata.jsonl (each element "
    "of the images_metadata.json array) must be one JSON object.",
)
LIBRARY_RECORD_TRUNCATED = _r(
    "library.record_truncated",
    "the last record was cut off mid-write (no line end, or an unclosed last array element)",
    "The export stopped while writing; export again (php artisan export:training-data).",
)
LIBRARY_ID_MISSING = _r(
    "library.id_missing",
    "the record has no id, or one that is not a non-empty string or an integer",
    "Every record needs the library's image id; export it again with its id.",
)
LIBRARY_ID_DUPLICATE = _r(
    "library.id_duplicate",
    "the id was already claimed by an earlier record of the file (the first record keeps it)",
    "Two records claim one image id; remove the stale one (the detail names the earlier record).",
)
LIBRARY_FIELD_INVALID = _r(
    "library.field_invalid",
    "file_path, description, detailed_description or faces is missing or of the wrong type",
    "file_path is a string; descriptions are strings or null; faces is a list of {encoding, location} objects.",
)
LIBRARY_PATH_ESCAPES = _r(
    "library.path_escapes",
    "file_path leaves library/images/ (absolute, a drive letter, .., or a symlink pointing out)",
    "file_path must be relative to library/images/; copy the image into that folder instead of linking out.",
)
LIBRARY_IMAGE_MISSING = _r(
    "library.image_missing",
    "file_path names no file under library/images/",
    "Restore the image from the library's storage, or remove the record if the photo was deleted.",
)
LIBRARY_TAGS_INVALID = _r(
    "library.tags_invalid",
    "meta_tags is missing or not a list of non-empty strings",
    'Write meta_tags as a JSON list of words, e.g. ["beach", "sunset"]; [] when an image has none.',
)
LIBRARY_ENCODING_INVALID = _r(
    "library.encoding_invalid",
    "a face encoding is not a list of 128 finite numbers",
    "Run face detection on the image again; face_recognition encodings are 128 floats.",
)
LIBRARY_FACE_BOX_INVALID = _r(
    "library.face_box_invalid",
    "a face location is not [top, right, bottom, left] in whole pixels with top < bottom and left < right",
    "Locations follow the face_recognition convention (top, right, bottom, left); run detection again.",
)
LIBRARY_FACE_BOX_OUTSIDE = _r(
    "library.face_box_outside",
    "a face box reaches outside the image",
    "Detection ran on another size of the photo (a thumbnail?); run it again on this file.",
)
LIBRARY_DATE_INVALID = _r(
    "library.date_invalid",
    "created_at is missing or not an ISO-8601 date",
    "Export created_at as ISO-8601, e.g. 2025-11-11T21:00:00Z (a time without zone is read as UTC).",
)
