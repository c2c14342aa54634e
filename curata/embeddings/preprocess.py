"""Image bytes to model input: JPEG reduced-size decoding where it is faithful, then open_clip's transform."""

from __future__ import annotations

import io
import math

from PIL import Image


def decode_for_model(data: bytes, image_size: int, reduced: bool = True) -> Image.Image:
    """An RGB image at least `image_size` on its shorter side, from bytes that passed the image inspection.

    JPEG draft mode scales the DCT by 1/2, 1/4 or 1/8 and never below the requested size, so the
    model's own bicubic resize still does the final step from at least its input size.
    """
    img = Image.open(io.BytesIO(data))
    if reduced and img.format == "JPEG":
        w, h = img.size
        scale = image_size / min(w, h)
        if scale < 1:
            img.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))
    return img.convert("RGB")
