"""Procedural house-exterior photos: sky, lawn, facade, windows, lighting and sensor grain.

Not flat colours: low-frequency texture, perspective-ish shapes, blur and noise give images whose
JPEGs, headers and statistics behave like camera output, cheaply and reproducibly from a seed.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

STYLES = {
    "original": {"wall": (176, 160, 140), "roof": (90, 70, 60), "trim": (235, 230, 220)},
    "modern farmhouse": {"wall": (238, 236, 230), "roof": (40, 42, 46), "trim": (30, 30, 30)},
    "craftsman": {"wall": (120, 110, 80), "roof": (70, 50, 40), "trim": (230, 220, 190)},
    "mediterranean": {"wall": (225, 200, 160), "roof": (170, 80, 50), "trim": (250, 245, 235)},
    "contemporary": {"wall": (90, 95, 100), "roof": (60, 60, 62), "trim": (200, 160, 110)},
}


def texture(rng: np.random.Generator, size: tuple[int, int], scale: int, strength: float) -> np.ndarray:
    """Smooth noise with features about `scale` px across, of +-`strength`/2 levels: detail like grass or bark."""
    w, h = size
    small = rng.normal(0.0, 1.0, (max(2, h // scale), max(2, w // scale))).astype(np.float32)
    img = Image.fromarray(((small - small.min()) / (np.ptp(small) + 1e-6) * 255).astype(np.uint8))
    big = np.asarray(img.resize((w, h), Image.BICUBIC), dtype=np.float32) / 255.0 - 0.5
    return big[..., None] * strength


def render_house(seed: int, size: tuple[int, int] = (1024, 768), style: str = "original") -> Image.Image:
    """The same seed gives the same house; `style` repaints it, as a reimagining would."""
    rng = np.random.default_rng(seed)
    w, h = size
    palette = STYLES[style]
    horizon = int(h * rng.uniform(0.55, 0.7))
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    sky_top = np.array(rng.uniform([60, 110, 170], [110, 160, 230]), dtype=np.float32)
    sky_low = np.array([210, 225, 240], dtype=np.float32)
    canvas = np.empty((h, w, 3), dtype=np.float32)
    canvas[:] = sky_top * (1 - y) + sky_low * y
    grass = np.array(rng.uniform([50, 90, 30], [90, 140, 60]), dtype=np.float32)
    canvas[horizon:] = grass
    canvas += texture(rng, size, 24, 60.0) * (np.arange(h)[:, None, None] >= horizon)
    img = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))

    draw = ImageDraw.Draw(img)
    px = w / 1024  # every absolute length below is for a 1024 px wide image
    hx0, hx1 = int(w * rng.uniform(0.15, 0.3)), int(w * rng.uniform(0.7, 0.85))
    hy0 = int(h * rng.uniform(0.3, 0.4))
    draw.rectangle([hx0, hy0, hx1, horizon + int(10 * px)], fill=palette["wall"])
    peak = int(hy0 - h * rng.uniform(0.12, 0.2))
    draw.polygon([(hx0 - int(30 * px), hy0), ((hx0 + hx1) // 2, peak), (hx1 + int(30 * px), hy0)], fill=palette["roof"])
    n_windows = int(rng.integers(2, 5))
    ww = (hx1 - hx0) // (n_windows * 2 + 1)
    for i in range(n_windows):
        x0 = hx0 + ww * (2 * i + 1)
        top = hy0 + int(40 * px)
        draw.rectangle(
            [x0, top, x0 + ww, top + int(ww * 1.2)],
            fill=(60, 80, 100),
            outline=palette["trim"],
            width=max(1, int(6 * px)),
        )
    door_x = (hx0 + hx1) // 2 - ww // 2
    draw.rectangle([door_x, horizon - int(ww * 2), door_x + ww, horizon + int(10 * px)], fill=palette["trim"])
    for _ in range(int(rng.integers(2, 6))):
        cx, cy = int(rng.uniform(0, w)), int(rng.uniform(horizon - 40 * px, h))
        r = int(rng.uniform(20, 70) * px)
        draw.ellipse(
            [cx - r, cy - r, cx + r, cy + r], fill=tuple(int(c) for c in rng.uniform([20, 60, 20], [60, 110, 50]))
        )

    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.4)))
    arr = np.asarray(img, dtype=np.float32)
    light = 1.0 + texture(rng, size, 200, 0.25)
    grain = rng.normal(0.0, 4.0, arr.shape[:2]).astype(np.float32)[..., None]
    return Image.fromarray(np.clip(arr * light + grain, 0, 255).astype(np.uint8))


def jpeg_bytes(img: Image.Image, quality: int = 88) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()
