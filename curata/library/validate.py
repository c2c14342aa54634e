"""Validation of one parsed library record: an accepted image with its faces, or `Refused` with the rule broken.

Cheap field checks come first; the image is inspected last, and only then are face boxes compared
with its real size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from curata import rules
from curata.images import ImageFacts, ImageInspector, ImageRejected
from curata.library.image_folder import ImageFolder
from curata.library.source import json_type
from curata.library.tables import ENCODING_DIM
from curata.library.tags import parse_tags
from curata.rules import Refused
from curata.sessions.naming import parse_iso

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_INT32_MAX = int(np.iinfo(np.int32).max)
_NUMBER_TYPES = frozenset({float, int})
_NO_ENCODINGS = np.empty((0, ENCODING_DIM), dtype=np.float32)
_NO_BOXES = np.empty((0, 4), dtype=np.int32)


@dataclass(frozen=True)
class AcceptedImage:
    row: dict  # a library_images row
    encodings: np.ndarray  # (faces, 128) float32
    boxes: np.ndarray  # (faces, 4) int32: top, right, bottom, left
    facts: ImageFacts  # the image's inspection (its quality among them)


def library_id(value: dict) -> str | None:
    """The record's id as a string (integers in decimal); None if missing or unusable."""
    raw = value.get("id")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, str) and raw.strip():
        return raw
    return None


def validate_record(
    value: dict, image_id: str, record_id: str, where: str, folder: ImageFolder, inspector: ImageInspector
) -> AcceptedImage:
    """Every field rule, then the image, then the face boxes against the image's real size."""
    description = _text(value, "description", where)
    detailed = _text(value, "detailed_description", where)
    if "meta_tags" not in value:
        raise Refused(rules.LIBRARY_TAGS_INVALID, where, "meta_tags is missing")
    tags = parse_tags(value["meta_tags"], where)
    created_at = _created_at(value.get("created_at"), where)
    encodings, boxes = _faces(value.get("faces"), where)
    file_path = value.get("file_path")
    if not isinstance(file_path, str) or not file_path.strip():
        raise Refused(rules.LIBRARY_FIELD_INVALID, where, f"file_path is {json_type(file_path)}, not a path")
    path, rel = folder.resolve(file_path, where)
    try:
        facts = inspector.inspect(path)
    except ImageRejected as rejected:
        raise Refused(rejected.rule, rel, rejected.detail) from rejected
    _boxes_inside(boxes, facts.width, facts.height, where)
    row = {
        "record_id": record_id,
        "id": image_id,
        "path": rel,
        "sha256": facts.sha256,
        "width": facts.width,
        "height": facts.height,
        "description": description,
        "detailed_description": detailed,
        "tags": tags,
        "created_at": created_at,
        "face_count": len(boxes),
    }
    return AcceptedImage(row, encodings, boxes, facts)


def _text(value: dict, name: str, where: str) -> str:
    text = value.get(name)
    if text is None:
        return ""
    if not isinstance(text, str):
        raise Refused(rules.LIBRARY_FIELD_INVALID, where, f"{name} is {json_type(text)}, not a string")
    return text.strip()


def _created_at(raw: object, where: str) -> datetime:
    parsed = parse_iso(raw) if isinstance(raw, str) else None
    if parsed is None:
        shown = f"{raw!r}"[:60] if isinstance(raw, str) else json_type(raw)
        raise Refused(rules.LIBRARY_DATE_INVALID, where, f"created_at {shown} is not an ISO-8601 date")
    return parsed.astimezone(UTC)


def _faces(raw: object, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Encodings (n, 128) float32 and boxes (n, 4); no `faces` (or null) means no face was found."""
    if raw is None or raw == []:
        return _NO_ENCODINGS, _NO_BOXES
    faces = raw
    if not isinstance(faces, list) or not all(isinstance(face, dict) for face in faces):
        raise Refused(rules.LIBRARY_FIELD_INVALID, where, "faces is not a list of {encoding, location} objects")
    encodings = np.empty((len(faces), ENCODING_DIM), dtype=np.float32)
    boxes = np.empty((len(faces), 4), dtype=np.int32)
    for k, face in enumerate(faces):
        encodings[k] = _encoding(face.get("encoding"), f"faces[{k}]", where)
        boxes[k] = _box(face.get("location"), f"faces[{k}]", where)
    return encodings, boxes


def _encoding(raw: object, name: str, where: str) -> np.ndarray:
    if not isinstance(raw, list) or len(raw) != ENCODING_DIM:
        shown = f"{len(raw)} values" if isinstance(raw, list) else json_type(raw)
        raise Refused(rules.LIBRARY_ENCODING_INVALID, where, f"{name}.encoding is {shown}, not {ENCODING_DIM}")
    if not set(map(type, raw)) <= _NUMBER_TYPES:  # bool is not a number here, nor is "0.1"
        raise Refused(rules.LIBRARY_ENCODING_INVALID, where, f"{name}.encoding holds values that are not numbers")
    values = np.asarray(raw, dtype=np.float64)
    if not np.isfinite(values).all() or np.abs(values).max() > _FLOAT32_MAX:
        raise Refused(rules.LIBRARY_ENCODING_INVALID, where, f"{name}.encoding holds NaN or infinite values")
    return values


def _box(raw: object, name: str, where: str) -> tuple[int, int, int, int]:
    if not isinstance(raw, list) or len(raw) != 4 or not all(_whole(v) for v in raw):
        raise Refused(rules.LIBRARY_FACE_BOX_INVALID, where, f"{name}.location {str(raw)[:60]} is not 4 whole numbers")
    top, right, bottom, left = (int(v) for v in raw)
    if max(abs(v) for v in (top, right, bottom, left)) > _INT32_MAX:
        raise Refused(rules.LIBRARY_FACE_BOX_OUTSIDE, where, f"{name}.location {raw} is outside any image")
    if top >= bottom or left >= right:
        raise Refused(rules.LIBRARY_FACE_BOX_INVALID, where, f"{name}.location {raw} is empty or inverted")
    return top, right, bottom, left


def _whole(v: object) -> bool:
    return (type(v) is int) or (type(v) is float and math.isfinite(v) and v == int(v))


def _boxes_inside(boxes: np.ndarray, width: int, height: int, where: str) -> None:
    for k, (top, right, bottom, left) in enumerate(boxes.tolist()):
        if top < 0 or left < 0 or bottom > height or right > width:
            detail = f"faces[{k}].location {[top, right, bottom, left]} in a {width}x{height} image"
            raise Refused(rules.LIBRARY_FACE_BOX_OUTSIDE, where, detail)
