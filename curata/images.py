"""The one image inspection every stage uses: size limit, header under the pixel limit, format, full decode.

Any failure of any kind becomes an `ImageRejected` carrying a rule id; no Pillow exception escapes.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from curata import rules
from curata.quality import (
    DEFAULT_THRESHOLDS,
    ImageQuality,
    QualityThresholds,
    WorkingCopy,
    measure_all,
    working_copy,
    working_draft,
)
from curata.rules import Rule

_HEADER_BYTES = 64 * 1024
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}

# Formats Pillow may report for a file of each extension (MPO: the JPEG variant cameras write).
EXTENSION_FORMATS: dict[str, frozenset[str]] = {
    ".jpg": frozenset({"JPEG", "MPO"}),
    ".jpeg": frozenset({"JPEG", "MPO"}),
    ".png": frozenset({"PNG"}),
    ".webp": frozenset({"WEBP"}),
}
IMAGE_EXTENSIONS = frozenset(EXTENSION_FORMATS)


@dataclass(frozen=True)
class ImageLimits:
    """The limits every inspection applies; the `curata` resource is the only place that sets them."""

    max_pixels: int = 64_000_000
    max_bytes: int = 64 * 1024 * 1024
    quality: QualityThresholds | None = DEFAULT_THRESHOLDS  # None: decode only, measure nothing


DEFAULT_IMAGE_LIMITS = ImageLimits()


@dataclass(frozen=True)
class ImageFacts:
    sha256: str
    width: int
    height: int
    format: str
    num_bytes: int
    working: WorkingCopy | None = None  # the decoded pixels kept to measure, unless the limits say not to

    @property
    def quality(self) -> ImageQuality | None:
        """This image's measurements; tables measure their images together (`measure_all`), which is cheaper."""
        return None if self.working is None else measure_all([self.working])[0]


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


def inspect_image(data: bytes, limits: ImageLimits, *, name: str | None = None) -> ImageFacts:
    """Checks one image's bytes and returns its facts, or raises ImageRejected naming the rule broken.

    `name` (a file name) lets the extension be compared with the format the bytes really hold.
    Decoding uses JPEG draft mode (DCT scaling): every byte of the entropy-coded stream is still
    read, so truncation is caught, at a fraction of the cost of a full-size decode. The quality is
    measured on those decoded pixels, so it costs no second decode.
    """
    if len(data) > limits.max_bytes:
        raise ImageRejected(rules.FILE_TOO_LARGE, f"{len(data):,} bytes, limit {limits.max_bytes:,}")
    size = declared_size(data[:_HEADER_BYTES])
    if size is not None:
        _check_dimensions(*size, limits=limits)
    try:
        img = Image.open(io.BytesIO(data))  # lazy: reads the header, allocates no pixels
    except Image.DecompressionBombError as exc:
        raise ImageRejected(rules.IMAGE_TOO_MANY_PIXELS, _pillow_detail(exc)) from exc
    except Exception as exc:  # Pillow raises many types for hostile bytes
        raise ImageRejected(rules.IMAGE_UNDECODABLE, _pillow_detail(exc)) from exc
    with img:
        try:
            width, height = img.size
            fmt = img.format or "unknown"
        except Exception as exc:
            raise ImageRejected(rules.IMAGE_UNDECODABLE, _pillow_detail(exc)) from exc
        _check_dimensions(width, height, limits=limits)
        _check_format(fmt, name)
        try:
            if fmt == "JPEG":
                img.draft("RGB", _draft_size(width, height, limits))
            img.load()
        except Exception as exc:
            raise ImageRejected(rules.IMAGE_TRUNCATED, _pillow_detail(exc)) from exc
        working = None if limits.quality is None else working_copy(img, width, height, limits.quality)
    return ImageFacts(hashlib.sha256(data).hexdigest(), width, height, fmt, len(data), working)


def inspect_file(path: Path, limits: ImageLimits) -> ImageFacts:
    """Inspects the file at `path`; a file that cannot be read (or is too large) is rejected, not raised."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ImageRejected(rules.FILE_TOO_LARGE, f"{size:,} bytes, limit {limits.max_bytes:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise ImageRejected(rules.IMAGE_UNREADABLE, f"{type(exc).__name__}: {exc.strerror or exc}") from exc
    return inspect_image(data, limits, name=path.name)


class ImageInspector:
    """Inspects each file once per run (thread-safe): a log or project names the same image many times."""

    def __init__(self, limits: ImageLimits):
        self.limits = limits
        self._results: dict[Path, ImageFacts | ImageRejected] = {}
        self._lock = threading.Lock()

    def inspect(self, path: Path) -> ImageFacts:
        with self._lock:
            known = self._results.get(path)
        if known is None:
            try:
                known = inspect_file(path, self.limits)
            except ImageRejected as rejected:
                known = rejected
            with self._lock:
                self._results[path] = known
        if isinstance(known, ImageRejected):
            raise known
        return known


def _draft_size(width: int, height: int, limits: ImageLimits) -> tuple[int, int]:
    """1/8 scale, or just enough for the quality's working copy when the quality is measured."""
    if limits.quality is not None:
        return working_draft(width, height)
    return max(1, width // 8), max(1, height // 8)


def _check_dimensions(width: int, height: int, *, limits: ImageLimits) -> None:
    if width <= 0 or height <= 0:
        raise ImageRejected(rules.IMAGE_ZERO_DIMENSIONS, f"header declares {width}x{height}")
    if width * height > limits.max_pixels:
        raise ImageRejected(
            rules.IMAGE_TOO_MANY_PIXELS,
            f"header declares {width}x{height} = {width * height:,} pixels, limit {limits.max_pixels:,}",
        )


def _check_format(fmt: str, name: str | None) -> None:
    if name is None:
        return
    ext = Path(name).suffix.lower()
    allowed = EXTENSION_FORMATS.get(ext)
    if allowed is None:
        raise ImageRejected(rules.IMAGE_FORMAT_MISMATCH, f"{name!r}: extension {ext or '(none)'!r} is not an image's")
    if fmt not in allowed:
        raise ImageRejected(rules.IMAGE_FORMAT_MISMATCH, f"{name!r} holds {fmt} bytes")


def _pillow_detail(exc: Exception) -> str:
    """The error without object reprs (memory addresses), so a detail is the same on every run."""
    return f"{type(exc).__name__}: {_ADDRESS.sub('', str(exc))}"
