"""Images that carry their prompt the way generation tools write it, for the sample data and the tests.

`save_with_prompt` writes one image with its prompt in one `PROMPT_FORMATS` format and returns the caption
source `curata.captions` must report for it; `None` writes a plain image.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, PngImagePlugin

# format -> the caption source it must be read back as
PROMPT_FORMATS = {
    "a1111": "png:parameters",
    "comfyui": "png:comfyui",
    "exif": "exif:UserComment",
    "xmp": "xmp:dc:description",
    "txt": "sidecar:txt",
    "json": "sidecar:json",
}
JPEG_FORMATS = frozenset({"exif", "xmp"})  # the formats written into a JPEG; the others into a PNG


def suffix_for(fmt: str | None) -> str:
    """The file suffix an image in `fmt` must have (a JPEG named .png is refused as a format mismatch)."""
    return ".jpg" if fmt in JPEG_FORMATS else ".png"


def a1111_parameters(prompt: str) -> str:
    return f"{prompt}\nNegative prompt: blurry, lowres\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"


def comfyui_graph(prompt: str) -> str:
    """A ComfyUI API graph: the sampler's positive input is node 6, its negative node 7."""
    return json.dumps(
        {
            "3": {"class_type": "KSampler", "inputs": {"positive": ["6", 0], "negative": ["7", 0], "seed": 1}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, lowres", "clip": ["4", 1]}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": prompt, "clip": ["4", 1]}},
        }
    )


def xmp_packet(prompt: str) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
        f'<rdf:li xml:lang="x-default">{escape(prompt)}</rdf:li></rdf:Alt></dc:description>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def encoded(img: Image.Image, prompt: str | None, fmt: str | None, image_format: str) -> bytes:
    """The image as `image_format` ("PNG" or "JPEG") bytes, with `prompt` inside when `fmt` is an embedded one."""
    buf = io.BytesIO()
    if image_format == "JPEG":
        options: dict[str, object] = {"quality": 90}
        if prompt is not None and fmt == "exif":
            exif = Image.Exif()
            exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + a1111_parameters(prompt).encode("utf-16-be")
            options["exif"] = exif
        elif prompt is not None and fmt == "xmp":
            options["xmp"] = xmp_packet(prompt).encode()
        img.convert("RGB").save(buf, "JPEG", **options)
        return buf.getvalue()
    info = PngImagePlugin.PngInfo()
    if prompt is not None and fmt == "a1111":
        info.add_text("parameters", a1111_parameters(prompt))
    elif prompt is not None and fmt == "comfyui":
        info.add_text("prompt", comfyui_graph(prompt))
    img.save(buf, "PNG", pnginfo=info, compress_level=1)
    return buf.getvalue()


def save_with_prompt(img: Image.Image, path: Path, prompt: str | None, fmt: str | None) -> str | None:
    """Saves `img` at `path` (its suffix must be `suffix_for(fmt)`) with `prompt` in `fmt`, a sidecar for
    `txt` and `json`; the caption source expected back, None for a plain image."""
    path.write_bytes(encoded(img, prompt, fmt, "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"))
    if prompt is None or fmt is None:
        return None
    if fmt == "txt":
        path.with_suffix(".txt").write_text(prompt + "\n")
    elif fmt == "json":
        path.with_suffix(".json").write_text(json.dumps({"prompt": prompt, "seed": 1}))
    return PROMPT_FORMATS[fmt]
