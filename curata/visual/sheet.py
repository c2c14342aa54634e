"""Drawing blocks shared by every picture: labelled tiles, placeholders, a grid, PNG under a size budget."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from curata.visual.thumbnails import Thumbnail, Unavailable

PNG_BUDGET_BYTES = 150_000  # small enough to embed in run metadata as a data URI
FONT_SIZE = 11
LINE_HEIGHT = 14
GAP = 6
BACKGROUND = (255, 255, 255)
INK = (33, 37, 41)
PLACEHOLDER = (233, 233, 236)
REFUSED = (176, 32, 32)
CHOSEN = (30, 140, 60)
REJECTED = (190, 50, 50)
BOX = (255, 214, 0)

Color = tuple[int, int, int]


@lru_cache(maxsize=4)
def font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size)


def cut(text: str, width: int) -> str:
    """`text` shortened with an ellipsis to fit `width` pixels."""
    f = font()
    if f.getlength(text) <= width:
        return text
    text = text[: width // 2]  # no glyph is narrower than 2 px: the loop below stays short
    while text and f.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to `width` pixels; words longer than a line are cut."""
    lines: list[str] = []
    for word in text.split():
        if lines and font().getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        elif len(lines) > max_lines:
            break
        else:
            lines.append(cut(word, width))
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [cut(lines[max_lines - 1] + " …", width)]
    return lines


def placeholder(size: int, text: str) -> Image.Image:
    """A grey square with a cross and `text`: stands in for a file that is not drawn."""
    img = Image.new("RGB", (size, size), PLACEHOLDER)
    draw = ImageDraw.Draw(img)
    draw.line([(0, 0), (size, size)], fill=(215, 215, 220), width=2)
    draw.line([(0, size), (size, 0)], fill=(215, 215, 220), width=2)
    for i, line in enumerate(wrap(text, size - 8, (size - 8) // LINE_HEIGHT)):
        draw.text((4, 4 + i * LINE_HEIGHT), line, fill=REFUSED, font=font())
    return img


def tile(
    picture: Thumbnail | Unavailable, labels: Sequence[str], size: int, accent: Color | None = None, refused: str = ""
) -> Image.Image:
    """A `size`-wide cell: the picture centred in a square (or a placeholder saying `refused`), labels below."""
    cell = Image.new("RGB", (size, size + LINE_HEIGHT * len(labels) + 2), BACKGROUND)
    if isinstance(picture, Thumbnail):
        img = picture.image
        cell.paste(img, ((size - img.width) // 2, (size - img.height) // 2))
    else:
        cell.paste(placeholder(size, refused or picture.reason), (0, 0))
    draw = ImageDraw.Draw(cell)
    if accent:
        draw.rectangle([0, 0, size - 1, size - 1], outline=accent, width=3)
    for i, label in enumerate(labels):
        draw.text((2, size + 2 + i * LINE_HEIGHT), cut(label, size - 4), fill=accent or INK, font=font())
    return cell


def hstack(cells: Sequence[Image.Image]) -> Image.Image:
    width = sum(c.width for c in cells) + GAP * (len(cells) - 1)
    out = Image.new("RGB", (max(width, 1), max((c.height for c in cells), default=1)), BACKGROUND)
    x = 0
    for c in cells:
        out.paste(c, (x, 0))
        x += c.width + GAP
    return out


def grid(cells: Sequence[Image.Image], columns: int, title: str) -> Image.Image:
    """Cells of one size in rows of `columns`, under a one-line title."""
    cw = max((c.width for c in cells), default=0)
    ch = max((c.height for c in cells), default=0)
    rows = -(-len(cells) // columns)
    width = max(GAP + min(len(cells), columns) * (cw + GAP), int(font().getlength(title)) + 2 * GAP)
    out = Image.new("RGB", (width, LINE_HEIGHT + 2 * GAP + rows * (ch + GAP)), BACKGROUND)
    ImageDraw.Draw(out).text((GAP, GAP), title, fill=INK, font=font())
    for i, c in enumerate(cells):
        out.paste(c, (GAP + (i % columns) * (cw + GAP), LINE_HEIGHT + 2 * GAP + (i // columns) * (ch + GAP)))
    return out


def png_bytes(img: Image.Image, budget: int = PNG_BUDGET_BYTES) -> bytes:
    """PNG of `img`, reduced to a palette and then in size until it fits `budget` bytes (or cannot shrink)."""
    data = _encode(img)
    for colors in (256, 64):
        if len(data) <= budget:
            return data
        data = _encode(img.quantize(colors))
    while len(data) > budget and min(img.size) > 64:
        factor = min(0.9, max(0.5, (budget / len(data)) ** 0.5))  # bytes grow with the area
        img = img.resize((int(img.width * factor), int(img.height * factor)), Image.Resampling.LANCZOS)
        data = _encode(img.quantize(64))
    return data


def _encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=6)  # optimize=True is 7x slower on photos for 5% fewer bytes
    return buf.getvalue()
