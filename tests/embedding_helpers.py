"""Real JPEGs on disk and the tiny open_clip model the embedding tests share."""

from __future__ import annotations

import hashlib
from pathlib import Path

from curata.embeddings.spec import ModelSpec
from curata.embeddings.wanted import WantedImage
from curata.sample.scenes import jpeg_bytes, render_house

TINY = ModelSpec(architecture="curata-tiny-vit", batch_size=8, device="cpu")


def write_images(root: Path, count: int, start: int = 0, size: tuple[int, int] = (160, 120)) -> list[WantedImage]:
    out = []
    for i in range(start, start + count):
        rel = f"library/img_{i:04d}.jpg"
        data = jpeg_bytes(render_house(i, size))
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        out.append(WantedImage(hashlib.sha256(data).hexdigest(), rel))
    return out
