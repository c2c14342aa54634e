"""Image quality measured from the pixels the inspection already decoded, and the flags thresholds give them.

Everything but the size is measured on a working copy whose longest side is at most WORKING_SIDE, so a
threshold (the blur one above all: Laplacian variance grows with resolution) means the same for every image.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
from PIL import Image

WORKING_SIDE = 64  # JPEG draft decoding reaches it for any image of 512 px and more at 1/8 scale
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as PIL's "L" conversion


@dataclass(frozen=True)
class QualityThresholds:
    """Where each flag starts; the `curata` resource sets them. An image is flagged when it is past one."""

    too_dark: float = 25.0  # mean luma (0-255) below this
    too_bright: float = 235.0  # mean luma above this
    low_contrast: float = 10.0  # luma standard deviation below this
    blurry: float = 50.0  # variance of the 3x3 Laplacian of the working copy's luma below this
    low_information: float = 3.0  # entropy of the luma histogram (bits) below this
    grayscale: float = 3.0  # mean spread between a pixel's largest and smallest channel below this
    odd_aspect_ratio: float = 3.0  # longer side over shorter side above this
    too_small: int = 32  # shorter side in pixels below this


DEFAULT_THRESHOLDS = QualityThresholds()
FLAGS: tuple[str, ...] = tuple(f.name for f in fields(QualityThresholds))


@dataclass(frozen=True)
class ImageQuality:
    """What one image measures; `flags` are the names of the thresholds it is past."""

    brightness: float
    contrast: float
    sharpness: float
    entropy: float
    colourfulness: float
    aspect_ratio: float
    short_side: int
    flags: tuple[str, ...] = ()


def working_draft(width: int, height: int) -> tuple[int, int]:
    """The JPEG draft size to ask for: at most 1/8 scale, never below the working side (unless the image is)."""
    scale = max(1 / 8, min(1.0, WORKING_SIDE / max(width, height)))
    return max(1, int(width * scale)), max(1, int(height * scale))


def measure(img: Image.Image, width: int, height: int, thresholds: QualityThresholds) -> ImageQuality:
    """Measures a decoded image whose full size is `width` x `height` and flags it under `thresholds`."""
    work = img.convert("RGB") if img.mode != "RGB" else img
    if max(work.size) > WORKING_SIDE:
        work = work.resize(_fit(work.size), Image.BOX)
    rgb = np.asarray(work, dtype=np.float32)
    luma = rgb @ _LUMA
    quality = ImageQuality(
        brightness=round(float(luma.mean()), 3),
        contrast=round(float(luma.std()), 3),
        sharpness=round(_laplacian_variance(luma), 3),
        entropy=round(_entropy(luma), 3),
        colourfulness=round(float((rgb.max(axis=2) - rgb.min(axis=2)).mean()), 3),
        aspect_ratio=round(max(width, height) / min(width, height), 3),
        short_side=min(width, height),
    )
    return replace(quality, flags=flags_of(quality, thresholds))


def flags_of(q: ImageQuality, t: QualityThresholds) -> tuple[str, ...]:
    """The flags in FLAGS order. Blur and colour are judged only where there is contrast: a flat image has
    no edges to be sharp and no colour to lack, and `low_contrast` already says so."""
    flat = q.contrast < t.low_contrast
    past = {
        "too_dark": q.brightness < t.too_dark,
        "too_bright": q.brightness > t.too_bright,
        "low_contrast": flat,
        "blurry": not flat and q.sharpness < t.blurry,
        "low_information": q.entropy < t.low_information,
        "grayscale": not flat and q.colourfulness < t.grayscale,
        "odd_aspect_ratio": q.aspect_ratio > t.odd_aspect_ratio,
        "too_small": q.short_side < t.too_small,
    }
    return tuple(name for name in FLAGS if past[name])


def _fit(size: tuple[int, int]) -> tuple[int, int]:
    w, h = size
    scale = WORKING_SIDE / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _laplacian_variance(luma: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low when nothing changes sharply from one pixel to the next."""
    if min(luma.shape) < 3:
        return 0.0
    centre = luma[1:-1, 1:-1]
    lap = luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4 * centre
    return float(lap.var())


def _entropy(luma: np.ndarray) -> float:
    counts = np.bincount(np.clip(luma, 0, 255).astype(np.uint8).ravel(), minlength=256)
    p = counts[counts > 0] / luma.size
    return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0: a single-level image is 0.0, not -0.0
