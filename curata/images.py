"""Safe image inspection: declared size from the header, bomb refusal before decoding, full decode check."""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from curata import rules
from curata.rules import Rule

DEFAULT_MAX_PIXELS = 64_000_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_HEADER_BYTES = 64 * 1024
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class ImageFacts:
    sha256: str
    width: int
    height: int
    format: str
    num_bytes: int


class ImageRejected(Exception):
    """Raised with the rule an image breaks and a human-readable detail."""

    def __init__(self, rule: Rule, detail: str):
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


def declared_size(head: bytes) -> tuple[int, int] | None:
    """Width and height as a PNG or JPEG header declares them, read without decoding; None if unknown.

    Pillow refuses zero-sized headers outright, so this is what tells "zero dimensions" apart from
    "not an image", and what refuses a decompression bomb before any pixel is allocated.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24 and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    if head.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 <= len(head):
            if head[pos] != 0xFF:
                return None
            marker = head[pos + 1]
            if marker == 0xFF:
                pos += 1
                continue
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            (length,) = struct.unpack(">H", head[pos + 2 : pos + 4])
            if marker in _JPEG_SOF:
                height, width = struct.unpack(">HH", head[pos + 5 : pos + 9])
                return width, height
            pos += 2 + length
    return None


def read_header_size(path: Path) -> tuple[int, int]:
    """Width and height of an image file from its header alone; raises OSError if unreadable."""
    with open(path, "rb") as handle:
        size = declared_size(handle.read(_HEADER_BYTES))
        if size is not None:
            return size
        handle.seek(0)
        with Image.open(handle) as img:  # lazy: reads the header, decodes nothing
            return img.size


def inspect_image(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decode: bool = True,
) -> ImageFacts:
    """Checks one image's bytes and returns its facts, or raises ImageRejected naming the rule broken.

    Decoding uses JPEG draft mode (DCT scaling): every byte of the entropy-coded stream is still
    read, so truncation is caught, at a fraction of the cost of a full-size decode.
    """
    size = declared_size(data[:_HEADER_BYTES])
    if size is not None:
        _check_dimensions(*size, max_pixels=max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(rules.IMAGE_TOO_MANY_PIXELS, str(exc)) from exc
    except Exception as exc:  # Pillow raises many types for hostile bytes
        raise ImageRejected(rules.IMAGE_UNDECODABLE, f"{type(exc).__name__}: {exc}") from exc
    with img:
        width, height = img.size
        fmt = img.format or "unknown"
        _check_dimensions(width, height, max_pixels=max_pixels)
        if decode:
            try:
                if fmt == "JPEG":
                    img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                img.load()
            except Exception as exc:
                raise ImageRejected(rules.IMAGE_TRUNCATED, f"{type(exc).__name__}: {exc}") from exc
    return ImageFacts(hashlib.sha256(data).hexdigest(), width, height, fmt, len(data))


def _check_dimensions(width: int, height: int, *, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageRejected(rules.IMAGE_ZERO_DIMENSIONS, f"header declares {width}x{height}")
    if width * height > max_pixels:
        raise ImageRejected(
            rules.IMAGE_TOO_MANY_PIXELS,
            f"header declares {width}x{height} = {width * height:,} pixels, limit {max_pixels:,}",
        )
