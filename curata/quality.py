"""Image quality measured from the pixels the inspection already decoded, and the flags thresholds give them.

Everything but the size is measured on a working copy whose longest side is at most WORKING_SIDE, so a
threshold (the blur one above all: Laplacian variance grows with resolution) means the same for every image.
The inspection keeps that copy; a table's images are then measured together, one array per working size
(numpy's cost per call, paid image by image, was most of the measuring's cost).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
from PIL import Image

WORKING_SIDE = 64  # JPEG draft decoding reaches it for any image of 512 px and more at 1/8 scale
_LEVELS = np.arange(256, dtype=np.float64)
_SQUARES = _LEVELS**2
CHUNK_IMAGES = 32  # images measured as one array: its temporaries stay in the CPU's cache (256 at most: uint16 bins)
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
PIXEL_FIGURES = ("brightness", "contrast", "sharpness", "entropy", "colourfulness")  # measured from pixels


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


@dataclass(frozen=True)
class WorkingCopy:
    """The decoded image reduced to the working side, kept to be measured with the others of its batch: a few
    numpy calls over every image at once cost less than the same calls image by image."""

    image: Image.Image  # RGB, its longest side at most WORKING_SIDE
    width: int  # the full image's size
    height: int
    thresholds: QualityThresholds


def working_copy(img: Image.Image, width: int, height: int, thresholds: QualityThresholds) -> WorkingCopy:
    """What measuring keeps of a decoded image whose full size is `width` x `height` (a copy: the decoded image
    is closed with its file)."""
    work = _working(img if img.mode == "RGB" else img.convert("RGB"))
    return WorkingCopy(work.copy() if work is img else work, width, height, thresholds)


def measure(img: Image.Image, width: int, height: int, thresholds: QualityThresholds) -> ImageQuality:
    """One decoded image measured and flagged under `thresholds`."""
    return measure_all([working_copy(img, width, height, thresholds)])[0]


def measure_all(copies: list[WorkingCopy]) -> list[ImageQuality]:
    """Every copy measured and flagged under its thresholds, in the order given."""
    out = []
    for copy, measured in zip(copies, measurements(copies), strict=True):
        out.append(ImageQuality(**measured, flags=flags_of(measured, copy.thresholds)))
    return out


def measurements(copies: list[WorkingCopy]) -> list[dict[str, float]]:
    """Each copy's figures by ImageQuality's field names (all but the flags), in the order given."""
    figures = pixel_figures(copies)
    columns = [figures[name].tolist() for name in PIXEL_FIGURES]
    return [
        dict(zip(PIXEL_FIGURES, values, strict=True))
        | {"aspect_ratio": max(c.width, c.height) / min(c.width, c.height), "short_side": min(c.width, c.height)}
        for c, values in zip(copies, zip(*columns, strict=True), strict=True)
    ]


def pixel_figures(copies: list[WorkingCopy]) -> dict[str, np.ndarray]:
    """The figures measured from pixels, one array each in the order given. The copies of one working size are
    measured together, CHUNK_IMAGES at a time, pasted one under the other into one sheet: Pillow converts the
    sheet to luma and hands over its bytes in one call each (per image, those calls cost more than measuring)."""
    out = {name: np.zeros(len(copies)) for name in PIXEL_FIGURES}
    by_size: dict[tuple[int, int], list[int]] = {}
    for i, copy in enumerate(copies):
        by_size.setdefault(copy.image.size, []).append(i)
    for (w, h), members in by_size.items():
        for start in range(0, len(members), CHUNK_IMAGES):
            rows = members[start : start + CHUNK_IMAGES]
            sheet = Image.new("RGB", (w, h * len(rows)))
            for k, i in enumerate(rows):
                sheet.paste(copies[i].image, (0, k * h))
            rgb = np.frombuffer(sheet.tobytes(), dtype=np.uint8).reshape(-1, h, w, 3)
            luma = np.frombuffer(sheet.convert("L").tobytes(), dtype=np.uint8).reshape(-1, h, w)
            for name, values in zip(PIXEL_FIGURES, _pixel_figures(rgb, luma), strict=True):
                out[name][rows] = values
    return out


def _pixel_figures(rgb: np.ndarray, luma: np.ndarray) -> tuple[np.ndarray, ...]:
    """(N, h, w, 3) RGB and (N, h, w) luma, uint8 -> the PIXEL_FIGURES of each image."""
    n_images, h, w, _ = rgb.shape
    n = h * w
    offsets = (np.arange(n_images, dtype=np.uint16) * 256)[:, None, None]  # image k counts in bins 256k..256k+255
    counts = np.bincount((luma + offsets).ravel(), minlength=256 * n_images).reshape(n_images, 256)
    mean = counts @ _LEVELS / n
    contrast = np.sqrt(np.maximum(0.0, counts @ _SQUARES / n - mean * mean))
    entropy = np.maximum(0.0, math.log2(n) - _K_LOG_K[counts].sum(axis=1) / n)
    sharpness = laplacian_variances(luma)
    r, g, b = (np.ascontiguousarray(rgb[..., c]) for c in range(3))  # numpy is slow reducing an axis of 3
    spread = np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)
    colour = spread.reshape(n_images, -1).sum(axis=1, dtype=np.uint32) / n
    return mean, contrast, sharpness, entropy, colour


def flags_of(q: Mapping[str, float], t: QualityThresholds) -> tuple[str, ...]:
    """The flags, in FLAGS order, of an image's figures (by ImageQuality's field names). Blur and colour are judged
    only where there is contrast: a flat image has no edges to be sharp and no colour to lack, and `low_contrast`
    already says so."""
    flat = q["contrast"] < t.low_contrast
    past = {
        "too_dark": q["brightness"] < t.too_dark,
        "too_bright": q["brightness"] > t.too_bright,
        "low_contrast": flat,
        "blurry": not flat and q["sharpness"] < t.blurry,
        "low_information": q["entropy"] < t.low_information,
        "grayscale": not flat and q["colourfulness"] < t.grayscale,
        "odd_aspect_ratio": q["aspect_ratio"] > t.odd_aspect_ratio,
        "too_small": q["short_side"] < t.too_small,
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
    """Variance of the 4-neighbour Laplacian of one (h, w) uint8 luma: low when nothing changes sharply."""
    return float(laplacian_variances(luma[None])[0])


def laplacian_variances(luma: np.ndarray) -> np.ndarray:
    """The same for each of (N, h, w) uint8 lumas at once, exactly (in integers); 0 for an image under 3 px."""
    if min(luma.shape[1:]) < 3:
        return np.zeros(len(luma))
    x = luma.astype(np.int16)  # a Laplacian of 8-bit values lies within +-1020
    lap = x[:, :-2, 1:-1] + x[:, 2:, 1:-1] + x[:, 1:-1, :-2] + x[:, 1:-1, 2:] - 4 * x[:, 1:-1, 1:-1]
    flat = lap.reshape(len(luma), -1)
    mean = flat.sum(axis=1, dtype=np.int64) / flat.shape[1]
    squares = np.einsum("ij,ij->i", flat, flat, dtype=np.int64) / flat.shape[1]
    return np.maximum(0.0, squares - mean * mean)  # the variance, without numpy's slower var()
