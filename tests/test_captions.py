"""Captions recovered from the image file or its sidecar: one test per format, never invented."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from curata.captions import Caption, caption_of
from curata.sample.prompts import PROMPT_FORMATS, save_with_prompt, suffix_for, xmp_packet
from curata.sessions.validate import DEFAULT_LIMITS

PROMPT = "a red  brick house\nat dusk"
CLEANED = "a red brick house at dusk"
LIMIT = DEFAULT_LIMITS.max_metadata_bytes  # what the export is given by default


def _image() -> Image.Image:
    return Image.new("RGB", (32, 24), (120, 40, 30))


@pytest.mark.parametrize("fmt", sorted(PROMPT_FORMATS))
def test_each_format_gives_its_prompt_and_source(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"img{suffix_for(fmt)}"
    source = save_with_prompt(_image(), path, PROMPT, fmt)
    assert caption_of(path, tmp_path, LIMIT) == Caption(CLEANED, PROMPT_FORMATS[fmt])
    assert source == PROMPT_FORMATS[fmt]


def test_a1111_keeps_only_the_prompt(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    save_with_prompt(_image(), path, "two cats", "a1111")
    caption = caption_of(path, tmp_path, LIMIT)
    assert caption is not None and caption.text == "two cats"  # not the negative prompt, not the settings


def test_comfyui_follows_the_positive_input_not_the_first_encoder(tmp_path: Path) -> None:
    path = tmp_path / "c.png"
    save_with_prompt(_image(), path, "a lighthouse", "comfyui")
    graph = json.loads(Image.open(path).info["prompt"])
    # the sampler now takes node 7 as positive: its text, not the first encoder's (node 6)
    graph["3"]["inputs"]["positive"], graph["3"]["inputs"]["negative"] = ["7", 0], ["6", 0]
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", json.dumps(graph))
    _image().save(path, pnginfo=info)
    assert caption_of(path, tmp_path, LIMIT) == Caption("blurry, lowres", "png:comfyui")


def test_little_endian_user_comment(tmp_path: Path) -> None:
    path = tmp_path / "le.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "a barn in snow".encode("utf-16-le")
    _image().save(path, "JPEG", exif=exif)
    assert caption_of(path, tmp_path, LIMIT) == Caption("a barn in snow", "exif:UserComment")


def test_a_plain_image_has_no_caption(tmp_path: Path) -> None:
    for name in ("plain.png", "plain.jpg"):
        _image().save(tmp_path / name)
        assert caption_of(tmp_path / name, tmp_path, LIMIT) is None


def test_a_placeholder_is_no_caption_and_the_next_source_is_read(tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "test\nSteps: 20")
    _image().save(path, pnginfo=info)
    assert caption_of(path, tmp_path, LIMIT) is None
    path.with_suffix(".txt").write_text("a garden shed")
    assert caption_of(path, tmp_path, LIMIT) == Caption("a garden shed", "sidecar:txt")


def test_embedded_prompt_wins_over_the_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "e.png"
    save_with_prompt(_image(), path, "from the file", "a1111")
    path.with_suffix(".txt").write_text("from the sidecar")
    assert caption_of(path, tmp_path, LIMIT) == Caption("from the file", "png:parameters")


def test_a_sidecar_linking_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "images").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("a caption from elsewhere")
    _image().save(root / "images" / "x.png")
    os.symlink(outside / "secret.txt", root / "images" / "x.txt")
    assert caption_of(root / "images" / "x.png", root, LIMIT) is None


def test_a_sidecar_over_the_size_limit_or_not_a_record_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    _image().save(path)
    path.with_suffix(".txt").write_text("a long caption " * 10)
    assert caption_of(path, tmp_path, max_sidecar_bytes=20) is None
    path.with_suffix(".txt").unlink()
    path.with_suffix(".json").write_text('["a list, not a record"]')
    assert caption_of(path, tmp_path, LIMIT) is None


def test_an_xmp_entity_bomb_is_no_caption(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    path = tmp_path / "bomb.jpg"
    _image().save(path, "JPEG", xmp=bomb.encode())
    assert caption_of(path, tmp_path, LIMIT) is None


def test_xmp_in_a_png_and_the_plain_text_keys(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp_packet("a quiet street"))
    _image().save(path, pnginfo=info)
    assert caption_of(path, tmp_path, LIMIT) == Caption("a quiet street", "xmp:dc:description")
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", "a tall hedge")
    _image().save(path, pnginfo=info)
    assert caption_of(path, tmp_path, LIMIT) == Caption("a tall hedge", "png:Description")


def test_exif_image_description(tmp_path: Path) -> None:
    path = tmp_path / "d.jpg"
    exif = Image.Exif()
    exif[0x010E] = "a stone bridge"
    _image().save(path, "JPEG", exif=exif)
    assert caption_of(path, tmp_path, LIMIT) == Caption("a stone bridge", "exif:ImageDescription")
