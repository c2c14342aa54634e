"""The prompt an image was made from, recovered from the file itself or a sidecar next to it; never invented.

Generation tools write it inside the image (PNG text chunks: Automatic1111's `parameters`, ComfyUI's `prompt`
graph; JPEG EXIF UserComment or ImageDescription; XMP `dc:description`) or beside it (`<stem>.txt`,
`<stem>.json` with `prompt` or `caption`). The first readable one wins, in that order; each is cleaned by
`caption_text`, so a placeholder is no caption. Unreadable metadata, a sidecar over the size limit or one
that links out of the data root gives no caption, never an error: the image itself was already validated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree
from PIL import Image

from curata.links import link_outside_root
from curata.text import caption_text

_A1111_END = re.compile(r"\n(?:Negative prompt:|Steps:)")  # the prompt is the text before these
_TEXT_KEYS = ("Description", "Comment", "prompt")  # plain PNG text chunks that hold a caption
_USER_COMMENT, _IMAGE_DESCRIPTION, _EXIF_IFD = 0x9286, 0x010E, 0x8769
_DC_DESCRIPTION = "{http://purl.org/dc/elements/1.1/}description"
_SIDECAR_KEYS = ("prompt", "caption")


@dataclass(frozen=True)
class Caption:
    text: str  # cleaned
    source: str  # where it was found: `png:parameters`, `png:comfyui`, `exif:UserComment`, `sidecar:txt`, ...


def caption_of(path: Path, data_root: Path, max_sidecar_bytes: int) -> Caption | None:
    """The image's caption and where it came from, or None when neither the file nor a sidecar has one.

    A sidecar is a metadata file: `max_sidecar_bytes` is the sessions' metadata limit, as the export is given it.
    """
    for source, raw in (*_embedded(path), *_sidecars(path, data_root, max_sidecar_bytes)):
        text = caption_text(raw)
        if text is not None:
            return Caption(text, source)
    return None


def _embedded(path: Path) -> list[tuple[str, str]]:
    """(source, raw text) of every caption the file carries, best first."""
    try:
        with Image.open(path) as img:
            info, exif = dict(img.info), img.getexif()
            exif_ifd = exif.get_ifd(_EXIF_IFD)
    except Exception:  # any unreadable header: no embedded caption (the image passed validation on its own)
        return []
    found = []
    if isinstance(info.get("parameters"), str):
        found.append(("png:parameters", _A1111_END.split(info["parameters"], maxsplit=1)[0]))
    comfy = _comfyui_prompt(info.get("prompt"))
    if comfy is not None:
        found.append(("png:comfyui", comfy))
    found += [(f"png:{k}", info[k]) for k in _TEXT_KEYS if isinstance(info.get(k), str) and not _is_json(info[k])]
    comment = _user_comment(exif_ifd.get(_USER_COMMENT))
    if comment is not None:
        found.append(("exif:UserComment", _A1111_END.split(comment, maxsplit=1)[0]))
    if isinstance(exif.get(_IMAGE_DESCRIPTION), str):
        found.append(("exif:ImageDescription", exif[_IMAGE_DESCRIPTION]))
    found += [("xmp:dc:description", t) for t in _xmp_descriptions(info.get("xmp") or info.get("XML:com.adobe.xmp"))]
    return found


def _comfyui_prompt(raw: object) -> str | None:
    """The text of the CLIPTextEncode node feeding a sampler's `positive` input, else the first one's text."""
    try:
        graph = json.loads(raw) if isinstance(raw, str | bytes) else None
    except ValueError:
        return None
    if not isinstance(graph, dict):
        return None
    nodes = {k: n for k, n in graph.items() if isinstance(n, dict) and isinstance(n.get("inputs"), dict)}

    def text_of(key: object) -> str | None:
        text = nodes.get(str(key), {}).get("inputs", {}).get("text")
        return text if isinstance(text, str) else None

    for node in nodes.values():
        link = node["inputs"].get("positive")
        if isinstance(link, list) and link and text_of(link[0]) is not None:
            return text_of(link[0])
    encoders = sorted((k for k, n in nodes.items() if n.get("class_type") == "CLIPTextEncode"), key=_node_order)
    return next((t for t in map(text_of, encoders) if t is not None), None)


def _is_json(text: str) -> bool:
    """A graph or record, not a caption (ComfyUI's `prompt` chunk is JSON; a plain `prompt` is text)."""
    try:
        return isinstance(json.loads(text), dict | list)
    except ValueError:
        return False


def _node_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (1 << 62, key)


def _user_comment(raw: object) -> str | None:
    """EXIF UserComment: an 8-byte charset header (`ASCII`, `UNICODE` (UTF-16, either byte order), `JIS`)."""
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, bytes) or len(raw) <= 8:
        return None
    head, body = raw[:8].rstrip(b"\x00 "), raw[8:]
    if head == b"UNICODE":
        big = body[:1] == b"\x00" or body[:2] == b"\xfe\xff"
        return body.decode("utf-16-be" if big else "utf-16-le", errors="replace").lstrip("\ufeff")
    return body.decode("shift_jis" if head == b"JIS" else "utf-8", errors="replace")


def _xmp_descriptions(raw: object) -> Iterator[str]:
    """Every `dc:description` text of an XMP packet (an `rdf:Alt` of languages, or plain text)."""
    if not isinstance(raw, str | bytes) or not raw:
        return
    try:
        root = ElementTree.fromstring(raw.strip(b"\x00") if isinstance(raw, bytes) else raw.strip("\x00"))
    except Exception:  # malformed, or an entity bomb refused by defusedxml: no caption
        return
    for description in root.iter(_DC_DESCRIPTION):
        texts = [e.text for e in description.iter() if e.text and e.text.strip()]
        yield from texts[:1]


def _sidecars(path: Path, data_root: Path, max_bytes: int) -> Iterator[tuple[str, str]]:
    """`<stem>.txt`, then `<stem>.json`'s `prompt` or `caption`: inside the data root, by no link out of it."""
    readers: dict[str, Callable[[str], str | None]] = {"txt": lambda text: text, "json": _json_caption}
    for kind, read in readers.items():
        sidecar = path.with_suffix(f".{kind}")
        text = _read_sidecar(sidecar, data_root, max_bytes)
        caption = read(text) if text is not None else None
        if caption is not None:
            yield f"sidecar:{kind}", caption


def _read_sidecar(sidecar: Path, data_root: Path, max_bytes: int) -> str | None:
    if not sidecar.is_relative_to(data_root) or link_outside_root(sidecar, data_root) is not None:
        return None
    try:
        if not sidecar.is_file() or sidecar.stat().st_size > max_bytes:
            return None
        with open(sidecar, "rb") as handle:
            return handle.read(max_bytes + 1).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _json_caption(text: str) -> str | None:
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    return next((record[k] for k in _SIDECAR_KEYS if isinstance(record.get(k), str)), None)
