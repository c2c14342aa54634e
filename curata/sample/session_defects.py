"""Each defect the source documents describe, as a function that damages one written session folder.

Every function returns the rule id the pipeline must quarantine the session under, or "deferred".
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from curata.sessions.naming import metadata_name
from curata.sessions.validate import DEFAULT_LIMITS


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height`: a zero-size image or a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")
    )


def bmp_declaring(width: int, height: int) -> bytes:
    """A tiny BMP whose header claims `width` x `height`: a bomb in disguise when named .png or .jpg."""
    pixels = b"\0" * 64
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info) + len(pixels), 0, 0, 14 + len(info)) + info + pixels


def png_bytes_of(jpeg: bytes) -> bytes:
    """The same picture re-encoded as PNG: bytes that do not match a .jpg name."""
    import io

    from PIL import Image

    out = io.BytesIO()
    with Image.open(io.BytesIO(jpeg)) as img:
        img.save(out, "PNG")
    return out.getvalue()


class SessionFiles:
    """Paths and metadata of one session folder, with helpers that keep metadata sizes honest."""

    def __init__(self, folder: Path, stamp: str):
        self.folder = folder
        self.original = folder / f"original-{stamp}.jpg"
        self.edited = folder / f"reimagined-{stamp}.jpg"
        self.metadata = folder / metadata_name(stamp)

    def meta(self) -> dict:
        return json.loads(self.metadata.read_text())

    def write_meta(self, meta: object) -> None:
        self.metadata.write_text(json.dumps(meta))

    def replace_image(self, path: Path, data: bytes, size_field: str) -> None:
        path.write_bytes(data)
        meta = self.meta()
        meta[size_field] = len(data)
        self.write_meta(meta)


def _edit_meta(s: SessionFiles, **changes: object) -> None:
    meta = s.meta()
    meta.update(changes)
    s.write_meta(meta)


def _drop_field(s: SessionFiles) -> str:
    meta = s.meta()
    del meta["originalSize"]
    s.write_meta(meta)
    return "session.field_missing"


def _metadata_missing(s: SessionFiles) -> str:
    s.metadata.unlink()
    return "session.metadata_missing"


def _metadata_unparseable(s: SessionFiles) -> str:
    s.metadata.write_text(s.metadata.read_text()[:40])
    return "session.metadata_unparseable"


def _metadata_not_object(s: SessionFiles) -> str:
    s.write_meta([s.meta()])
    return "session.metadata_not_object"


def _metadata_too_large(s: SessionFiles) -> str:
    _edit_meta(s, notes="x" * 2 * DEFAULT_LIMITS.max_metadata_bytes)  # over the limit the demo runs with
    return "session.metadata_too_large"


def _field_type(s: SessionFiles) -> str:
    _edit_meta(s, originalSize=str(s.meta()["originalSize"]))
    return "session.field_type"


def _session_id_mismatch(s: SessionFiles) -> str:
    _edit_meta(s, sessionId="session-2024-12-31T23-59-59-999Z")
    return "session.session_id_mismatch"


def _timestamp_mismatch(s: SessionFiles) -> str:
    ts = s.meta()["timestamp"]
    hour = (int(ts[11:13]) + 1) % 24
    _edit_meta(s, timestamp=f"{ts[:11]}{hour:02d}{ts[13:]}")
    return "session.timestamp_mismatch"


def _instruction_empty(s: SessionFiles) -> str:
    _edit_meta(s, instruction="   ")
    return "session.instruction_empty"


def _email_invalid(s: SessionFiles) -> str:
    _edit_meta(s, userEmail="jane.doe at example")
    return "session.email_invalid"


def _file_missing(s: SessionFiles) -> str:
    s.edited.unlink()
    return "session.file_missing"


def _path_dotdot(s: SessionFiles) -> str:
    _edit_meta(s, originalFilename="../../outside/decoy.jpg")
    return "session.path_escapes"


def _symlink_out(s: SessionFiles) -> str:
    outside = s.folder.parent.parent / "outside" / "decoy.jpg"
    outside.parent.mkdir(exist_ok=True)
    outside.write_bytes(s.original.read_bytes())
    s.original.unlink()
    os.symlink(outside.resolve(), s.original)
    return "session.path_escapes"


def _undecodable(s: SessionFiles) -> str:
    s.replace_image(s.edited, os.urandom(5000), "reimaginedSize")
    return "image.undecodable"


def _truncated(s: SessionFiles) -> str:
    data = s.original.read_bytes()
    s.replace_image(s.original, data[: int(len(data) * 0.6)], "originalSize")
    return "image.truncated"


def _size_mismatch(s: SessionFiles) -> str:
    _edit_meta(s, originalSize=s.meta()["originalSize"] + 1234)
    return "session.size_mismatch"


def _zero_dimensions(s: SessionFiles) -> str:
    s.replace_image(s.original, png_declaring(0, 768), "originalSize")
    return "image.zero_dimensions"


def _decompression_bomb(s: SessionFiles) -> str:
    s.replace_image(s.edited, png_declaring(60_000, 60_000), "reimaginedSize")
    return "image.too_many_pixels"


def _disguised_bomb(s: SessionFiles) -> str:
    s.replace_image(s.edited, bmp_declaring(20_000, 20_000), "reimaginedSize")
    return "image.too_many_pixels"


def _format_mismatch(s: SessionFiles) -> str:
    s.replace_image(s.original, png_bytes_of(s.original.read_bytes()), "originalSize")
    return "image.format_mismatch"


def _folder_name(s: SessionFiles) -> str:
    bad = s.folder.with_name(s.folder.name.replace("T", " ").replace("-", ":")[:30])
    s.folder.rename(bad)
    s.folder = bad
    return "session.folder_name"


# Applied in order; names are the `defect` column of the ground truth.
SESSION_DEFECTS: dict[str, Callable[[SessionFiles], str]] = {
    "folder_name": _folder_name,
    "metadata_missing": _metadata_missing,
    "metadata_unparseable": _metadata_unparseable,
    "metadata_not_object": _metadata_not_object,
    "metadata_too_large": _metadata_too_large,
    "field_missing": _drop_field,
    "field_type": _field_type,
    "session_id_mismatch": _session_id_mismatch,
    "timestamp_mismatch": _timestamp_mismatch,
    "instruction_empty": _instruction_empty,
    "email_invalid": _email_invalid,
    "file_missing": _file_missing,
    "path_dotdot": _path_dotdot,
    "symlink_out": _symlink_out,
    "image_undecodable": _undecodable,
    "image_truncated": _truncated,
    "size_mismatch": _size_mismatch,
    "zero_dimensions": _zero_dimensions,
    "decompression_bomb": _decompression_bomb,
    "disguised_bomb": _disguised_bomb,
    "format_mismatch": _format_mismatch,
}
