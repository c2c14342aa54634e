import io

import pytest
from PIL import Image

from curata import rules
from curata.images import DEFAULT_IMAGE_LIMITS, ImageLimits, ImageRejected, declared_size, inspect_image
from curata.sample.session_defects import png_declaring
from tests.conftest import small_pair


def test_declared_size_reads_png_and_jpeg_headers():
    original, _ = small_pair(1)
    assert declared_size(original) == (160, 120)
    assert declared_size(png_declaring(0, 768)) == (0, 768)
    assert declared_size(b"not an image") is None


def test_good_jpeg_yields_facts():
    original, _ = small_pair(1)
    facts = inspect_image(original, DEFAULT_IMAGE_LIMITS)
    assert (facts.width, facts.height, facts.format, facts.num_bytes) == (160, 120, "JPEG", len(original))
    assert len(facts.sha256) == 64


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"\x00" * 500, rules.IMAGE_UNDECODABLE),
        (png_declaring(0, 768), rules.IMAGE_ZERO_DIMENSIONS),
        (png_declaring(60_000, 60_000), rules.IMAGE_TOO_MANY_PIXELS),
        (small_pair(2)[0][:900], rules.IMAGE_TRUNCATED),
    ],
    ids=["undecodable", "zero", "bomb", "truncated"],
)
def test_bad_images_are_rejected_with_their_rule(data, rule):
    with pytest.raises(ImageRejected) as err:
        inspect_image(data, DEFAULT_IMAGE_LIMITS)
    assert err.value.rule is rule


def test_bomb_is_refused_before_pillow_sees_it(monkeypatch):
    def explode(*args, **kwargs):
        raise AssertionError("Pillow was asked to open a decompression bomb")

    monkeypatch.setattr(Image, "open", explode)
    with pytest.raises(ImageRejected) as err:
        inspect_image(png_declaring(60_000, 60_000), DEFAULT_IMAGE_LIMITS)
    assert err.value.rule is rules.IMAGE_TOO_MANY_PIXELS


def test_pixel_limit_is_configurable():
    buf = io.BytesIO()
    Image.new("RGB", (200, 200)).save(buf, "PNG")
    with pytest.raises(ImageRejected):
        inspect_image(buf.getvalue(), ImageLimits(max_pixels=100 * 100))
