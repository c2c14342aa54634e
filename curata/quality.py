"""Image quality measured from the pixels the inspection already decoded, and the flags thresholds give them.

Everything but the size is measured on a working copy whose longest side is at most WORKING_SIDE, so a
threshold (the blur one above all: Laplacian variance grows with resolution) means the same for every image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
from PIL import Image

WORKING_SIDE = 64  # JPEG draft decoding reaches it for any image of 512 px and more at 1/8 scale
_LEVELS = np.arange(256, dtype=np.float64)
_SQUARES = _LEVELS**2
_K_LOG_K = np.array([k * math.log2(k) if k else 0.0 for k in range(WORKING_SIDE * WORKING_SIDE + 1)])  # entropy


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
    """Measures a decoded image whose full size is `width` x `height` and flags it under `thresholds`.

    Pillow reduces and takes the luma; the figures come from a few numpy calls on the small copy (the
    luma's from its histogram): calls, not pixels, are what this costs.
    """
    work = _working(img if img.mode == "RGB" else img.convert("RGB"))
    levels = np.frombuffer(work.convert("L").tobytes(), dtype=np.uint8)  # BT.601 luma
    counts = np.bincount(levels, minlength=256)
    n = levels.size
    mean = float(counts @ _LEVELS) / n
    r, g, b = np.frombuffer(work.tobytes(), dtype=np.uint8).reshape(n, 3).T  # views: no copy
    quality = ImageQuality(
        brightness=mean,
        contrast=math.sqrt(max(0.0, float(counts @ _SQUARES) / n - mean * mean)),
        sharpness=laplacian_variance(levels.reshape(work.height, work.width).astype(np.float32)),
        entropy=max(0.0, math.log2(n) - float(_K_LOG_K[counts].sum()) / n),
        colourfulness=float((np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)).mean()),
        aspect_ratio=max(width, height) / min(width, height),
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


def _working(img: Image.Image) -> Image.Image:
    """The copy whose longest side is WORKING_SIDE (or less, for a smaller image): an integer box reduction
    first (a JPEG draft of twice the side needs nothing else), then a box resize for the rest."""
    factor = max(img.size) // WORKING_SIDE
    if factor > 1:
        img = img.reduce(factor)
    if max(img.size) > WORKING_SIDE:
        scale = WORKING_SIDE / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.BOX)
    return img


def laplacian_variance(luma: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low when nothing changes sharply from one pixel to the next."""
    if min(luma.shape) < 3:
        return 0.0
    lap = (luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4 * luma[1:-1, 1:-1]).ravel()
    mean = float(lap.sum()) / lap.size
    return max(0.0, float(lap @ lap) / lap.size - mean * mean)  # the variance, without numpy's slower var()
