"""Thumbnails that Pillow opens only after the one image inspection accepted the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from curata.images import IMAGE_EXTENSIONS, ImageLimits, ImageRejected, inspect_file


@dataclass(frozen=True)
class Thumbnail:
    image: Image.Image  # RGB, fits in the requested square
    scale: float  # thumbnail pixels per pixel of the file


@dataclass(frozen=True)
class Unavailable:
    """Why a file cannot be drawn; the picture shows a placeholder instead."""

    reason: str


def names_an_image(file: str) -> bool:
    return Path(file).suffix.lower() in IMAGE_EXTENSIONS


def load_thumbnail(data_root: Path, file: str, limits: ImageLimits, size: int) -> Thumbnail | Unavailable:
    """`file` (relative to the data root) shrunk to fit `size` pixels; never raises, never leaves the data root."""
    root = data_root.resolve()
    path = (root / file).resolve()  # follows links, so a link out of the root is caught too
    if not path.is_relative_to(root):
        return Unavailable("outside the data root")
    try:
        facts = inspect_file(path, limits)
    except ImageRejected as rejected:
        return Unavailable(rejected.rule.id)
    try:
        with Image.open(path) as img:
            img.draft("RGB", (size, size))  # JPEG: decode at a fraction of the size
            img.thumbnail((size, size))
            return Thumbnail(img.convert("RGB"), img.width / facts.width)
    except Exception as exc:  # replaced since the inspection: draw a placeholder, never fail a picture
        return Unavailable(f"changed since inspection: {type(exc).__name__}")
