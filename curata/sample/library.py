"""A tagged photo library with planted truth: synonym tags used interchangeably, tags that go together,
recurring people (one shape and colour per person, drawn at each face box), images without faces, and
one record per defect the reader must quarantine.
"""

from __future__ import annotations

import colorsys
import json
import shutil
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from curata.layout import DataRoot
from curata.library.source import IMAGES_FOLDER, JSONL_NAME
from curata.library.tags import normalise_tag
from curata.sample.faces import draw_encodings, make_identities
from curata.sample.scenes import jpeg_bytes, texture


@dataclass(frozen=True)
class Topic:
    """A kind of photo. Each concept ("sea|ocean") is on an image of the topic with its probability, as one
    of its variants picked at random: variants of one concept are synonyms, used interchangeably."""

    colours: tuple[tuple[int, int, int], tuple[int, int, int]]  # background, top to bottom
    concepts: dict[str, float]
    phrases: tuple[str, ...]  # description openings


TOPICS: dict[str, Topic] = {
    "beach": Topic(
        ((90, 160, 220), (230, 210, 160)),
        {"beach": 0.9, "sea|ocean": 0.85, "sand": 0.6, "waves": 0.5, "summer": 0.4, "outdoor": 0.9},
        ("waves rolling onto the sand", "a quiet shore under a wide sky", "footprints along the shoreline"),
    ),
    "city": Topic(
        ((120, 130, 150), (70, 70, 80)),
        {"car|automobile|vehicle": 0.85, "street": 0.8, "building": 0.6, "traffic": 0.5, "urban": 0.4, "outdoor": 0.9},
        ("traffic moving down a busy avenue", "tall buildings along the avenue", "parked by the curb downtown"),
    ),
    "home": Topic(
        ((210, 190, 160), (150, 110, 80)),
        {"sofa|couch": 0.85, "living room": 0.7, "lamp": 0.5, "cozy": 0.5, "indoor": 0.9},
        ("a warm corner of the living room", "cushions and a reading lamp", "afternoon light indoors"),
    ),
    "food": Topic(
        ((240, 230, 210), (180, 90, 60)),
        {"meal|dish": 0.85, "plate": 0.7, "restaurant": 0.5, "café": 0.4, "delicious": 0.5, "indoor": 0.8},
        ("a plate served at the table", "fresh ingredients, nicely plated", "dinner at a small restaurant"),
    ),
    "mountain": Topic(
        ((150, 180, 220), (90, 110, 90)),
        {"mountain": 0.9, "hiking": 0.6, "snow": 0.5, "peak": 0.5, "nature": 0.6, "outdoor": 0.9},
        ("snowy peaks above the valley", "a trail winding up the ridge", "clouds drifting over the summit"),
    ),
    "party": Topic(
        ((200, 80, 120), (250, 200, 80)),
        {"happy|smiling|joyful": 0.85, "celebration": 0.8, "friends": 0.6, "cake": 0.5, "balloons": 0.4},
        ("friends gathered around the cake", "balloons and laughter", "a toast at the celebration"),
    ),
    "sky": Topic(
        ((250, 170, 90), (60, 60, 120)),
        {"sky": 0.9, "clouds": 0.6, "horizon": 0.5, "outdoor": 0.9},
        ("colours spreading across the sky", "clouds lit from below", "a calm horizon"),
    ),
    "pets": Topic(
        ((200, 200, 190), (120, 100, 80)),
        {"pet": 0.9, "cute": 0.6, "animal": 0.5},
        ("a curious pet looking at the camera", "playtime on the floor", "napping in the sun"),
    ),
}

# Exclusive alternatives: one of each pair per image, each with companions of its own. Not synonyms:
# they share some companions (sky, pet), which is what a loose synonym finder would fall for.
ALTERNATIVES: dict[str, list[tuple[str, list[tuple[float, str]]]]] = {
    "sky": [("sunrise", [(0.8, "morning"), (0.5, "dew")]), ("sunset", [(0.8, "evening"), (0.6, "golden")])],
    "pets": [("dog", [(0.7, "leash"), (0.6, "park")]), ("cat", [(0.6, "yarn"), (0.6, "whiskers")])],
}
PEOPLE_VARIANTS = ["people", "person"]  # one of them on every image with faces: a synonym pair too
NOISE_TAG, NOISE_SHARE = "photo", 0.3  # a tag on a random third of the images, whatever they show
SHAPES = ("ellipse", "square", "triangle", "diamond", "pentagon", "hexagon", "star")
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class _Library:
    """Records as lines, with the truth of each."""

    lines: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    faces: dict[str, str] = field(default_factory=dict)

    def add(
        self,
        line: str,
        expected: str = "accepted",
        rule: str | None = None,
        defect: str | None = None,
        *,
        image_id: str | None = None,
        tags: list[str] | None = None,
        persons: Sequence[str] = (),
    ) -> None:
        self.lines.append(line)
        record_id = f"{JSONL_NAME}:{len(self.lines)}"
        self.records.append(
            {
                "record_id": record_id,
                "id": image_id,
                "expected": expected,
                "rule": rule,
                "defect": defect,
                "tags": tags if expected == "accepted" else None,
            }
        )
        if expected == "accepted":
            self.faces.update({f"{image_id}#{k}": p for k, p in enumerate(persons)})


def synonym_groups() -> list[list[str]]:
    """The planted synonym groups, as normalised tags."""
    groups = [concept.split("|") for topic in TOPICS.values() for concept in topic.concepts if "|" in concept]
    return [[normalise_tag(t) for t in g] for g in [*groups, PEOPLE_VARIANTS]]


def used_synonym_groups(groups: list[list[str]], tag_lists: list[list[str]], min_uses: int) -> list[list[str]]:
    """The planted `groups` cut to the variants on at least `min_uses` of the images' `tag_lists`, where 2+ remain:
    the groups a synonym finder has the evidence to find."""
    uses = Counter(tag for tags in tag_lists for tag in set(tags))
    kept = [[t for t in group if uses[t] >= min_uses] for group in groups]
    return [group for group in kept if len(group) > 1]


def _tags(topics: list[str], has_faces: bool, rng: np.random.Generator) -> list[str]:
    tags: list[str] = []
    for topic in topics:
        for concept, probability in TOPICS[topic].concepts.items():
            if rng.random() < probability:
                variants = concept.split("|")
                tags.append(variants[int(rng.integers(len(variants)))])
        if topic in ALTERNATIVES:
            name, companions = ALTERNATIVES[topic][int(rng.integers(2))]
            tags += [name] + [t for p, t in companions if rng.random() < p]
    if has_faces:
        tags.append(PEOPLE_VARIANTS[int(rng.integers(2))])
    if rng.random() < NOISE_SHARE:
        tags.append(NOISE_TAG)
    return list(dict.fromkeys(tags))


def _as_typed(tags: list[str], rng: np.random.Generator) -> list[str]:
    """How people type tags: half of them capitalised, padded, with doubled spaces or decomposed accents."""
    forms = (str.title, lambda t: f" {t} ", lambda t: t.replace(" ", "  "), lambda t: unicodedata.normalize("NFD", t))
    picks = rng.integers(2 * len(forms), size=len(tags)).tolist()
    return [forms[k](tag) if k < len(forms) else tag for tag, k in zip(tags, picks, strict=True)]


def _face_boxes(n: int, size: tuple[int, int], rng: np.random.Generator) -> list[list[int]]:
    """`n` boxes [top, right, bottom, left], one per vertical slot of the image, never overlapping."""
    w, h = size
    slot = w // max(1, n)
    boxes = []
    for k in range(n):
        side = int(min(slot, h) * rng.uniform(0.45, 0.75))
        left = k * slot + int(rng.integers(0, slot - side + 1))
        top = int(rng.integers(0, h - side + 1))
        boxes.append([top, left + side, top + side, left])
    return boxes


def _person_style(person: int) -> tuple[str, tuple[int, int, int]]:
    """One shape and colour per person: shapes cycle, hues step by the golden angle."""
    r, g, b = colorsys.hsv_to_rgb((person * 0.618034) % 1.0, 0.85, 0.95)
    return SHAPES[person % len(SHAPES)], (int(r * 255), int(g * 255), int(b * 255))


def _draw_face(draw: ImageDraw.ImageDraw, box: list[int], person: int) -> None:
    """The person's shape filling the box, in the person's colour, with the person's number on it."""
    top, right, bottom, left = box
    right, bottom = right - 1, bottom - 1
    shape, colour = _person_style(person)
    cx, cy, r = (left + right) / 2, (top + bottom) / 2, (right - left) / 2
    style = {"fill": colour, "outline": (0, 0, 0)}
    if shape == "ellipse":
        draw.ellipse([left, top, right, bottom], width=2, **style)
    elif shape == "square":
        draw.rectangle([left, top, right, bottom], width=2, **style)
    elif shape == "triangle":
        draw.polygon([(left, bottom), (right, bottom), (cx, top)], **style)
    elif shape == "diamond":
        draw.polygon([(cx, top), (right, cy), (cx, bottom), (left, cy)], **style)
    else:
        draw.regular_polygon((cx, cy, r), 6 if shape == "hexagon" else 5, **style)
        if shape == "star":
            draw.regular_polygon((cx, cy, r * 0.35), 5, rotation=36, fill=(255, 255, 255))
    draw.text((cx, cy + r / 3 if shape == "triangle" else cy), str(person), fill=(0, 0, 0), anchor="mm")


def _render(topic: str, size: tuple[int, int], boxes: list[list[int]], persons: list[int], seed: int) -> bytes:
    """A background in the topic's colours with texture and grain (detail enough not to be flagged blurry),
    and each face as its person's shape."""
    rng = np.random.default_rng(seed)
    w, h = size
    top_colour, low_colour = (np.array(c, dtype=np.float32) for c in TOPICS[topic].colours)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    canvas = top_colour * (1 - y) + low_colour * y + rng.normal(0, 6, (h, w, 1)).astype(np.float32)
    canvas = canvas + texture(rng, size, max(2, w // 40), 60.0)
    img = Image.fromarray(np.clip(np.broadcast_to(canvas, (h, w, 3)), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for box, person in zip(boxes, persons, strict=True):
        _draw_face(draw, box, person)
    return jpeg_bytes(img, quality=85)


def generate_library(
    root: DataRoot,
    *,
    n_images: int = 400,
    seed: int = 11,
    image_size: tuple[int, int] = (320, 240),
    defects: bool = True,
    face_share: float = 0.4,
    lobe_share: float = 0.2,
) -> dict:
    """Writes `library/images/`, `library/images_metadata.jsonl` and `ground_truth/library.json`; returns the truth.
    A `lobe_share` of the people appear in 2 or 3 looks."""
    rng = np.random.default_rng(seed)
    if root.library.exists():
        shutil.rmtree(root.library)
    images = root.library / IMAGES_FOLDER
    images.mkdir(parents=True)
    n_people = max(3, round(n_images * face_share / 3))  # about six photos per person
    identities = make_identities(n_people, rng, lobe_share)
    entries = [_clean_record(i, identities, images, image_size, face_share, rng) for i in range(n_images)]
    library = _Library()
    planted = _defect_lines(images, image_size, first_id=entries[0][1]["id"]) if defects else []
    slots = set(rng.choice(np.arange(5, len(entries) + len(planted) - 1), len(planted), replace=False).tolist())
    for line_no in range(len(entries) + len(planted)):
        if line_no in slots:
            line, rule, defect = planted.pop(0)
            library.add(line, "quarantined", rule, defect)
        else:
            line, record, tags, persons = entries.pop(0)
            library.add(line, image_id=record["id"], tags=tags, persons=persons)
        if line_no == 9:
            library.lines.append("")  # a blank line is not a record, and shifts every later line number
    if defects:
        torn = json.dumps({"id": 99999, "file_path": "defects/spare.jpg", "meta_tags": ["beach"]})
        library.add(torn[: len(torn) // 2], "quarantined", "library.record_truncated", "torn_last_line")
    text = "\n".join(library.lines) + ("" if defects else "\n")
    (root.library / JSONL_NAME).write_text(text, encoding="utf-8")
    truth = _truth(library, identities)
    root.ground_truth.mkdir(parents=True, exist_ok=True)
    (root.ground_truth / "library.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    return truth


def _clean_record(
    i: int, identities: list, images: Path, size: tuple[int, int], face_share: float, rng: np.random.Generator
) -> tuple[str, dict, list[str], list[str]]:
    """One accepted record and its image: (line, record, normalised tags, person ids of its faces)."""
    names = list(TOPICS)
    topics = [names[int(rng.integers(len(names)))]]
    if rng.random() < 0.25:
        topics.append(names[int(rng.integers(len(names)))])
    topics = list(dict.fromkeys(topics))
    n_faces = int(rng.integers(1, 4)) if rng.random() < face_share else 0
    persons = rng.choice(len(identities), n_faces, replace=False).tolist()
    tags = _tags(topics, n_faces > 0, rng)
    boxes = _face_boxes(n_faces, size, rng)
    created = START + timedelta(hours=7 * i)
    image_id = str(1000 + i)
    file_path = f"{created:%Y/%m}/IMG_{image_id}.jpg"
    (images / file_path).parent.mkdir(parents=True, exist_ok=True)
    (images / file_path).write_bytes(_render(topics[0], size, boxes, persons, int(rng.integers(1 << 31))))
    phrases = TOPICS[topics[0]].phrases
    description = f"{phrases[int(rng.integers(len(phrases)))].capitalize()}, with {', '.join(tags[:3])}"
    record = {
        "id": int(image_id),
        "file_path": file_path,
        "description": description,
        "detailed_description": f"{description}. Taken in {created:%B}." if rng.random() < 0.75 else None,
        "meta_tags": _as_typed(tags, rng),
        "faces": [
            {"encoding": [round(float(v), 6) for v in draw_encodings(identities[p], 1, rng)[0]], "location": box}
            for p, box in zip(persons, boxes, strict=True)
        ],
        "created_at": [created.isoformat().replace("+00:00", "Z"), f"{created:%Y-%m-%d %H:%M:%S}"][i % 2],
    }
    if not record["faces"] and i % 2:
        del record["faces"]  # older exports leave the field out when no face was found
    line = json.dumps(record, ensure_ascii=False)
    return line, record | {"id": image_id}, [normalise_tag(t) for t in tags], [identities[p].person_id for p in persons]


def _defect_lines(images: Path, size: tuple[int, int], first_id: str) -> list[tuple[str, str, str]]:
    """(line, rule, defect name) for every way a record can be refused, around valid spare images."""
    w, h = size
    folder = images / "defects"
    folder.mkdir()
    spare = _render("beach", size, [], [], seed=0)  # grainy: most of its bytes are image data, not headers
    (folder / "spare.jpg").write_bytes(spare)
    (folder / "truncated.jpg").write_bytes(spare[: len(spare) * 3 // 4])
    (folder / "notes.jpg").write_text("not a photo, a text file with a .jpg name\n")
    (images.parent / "outside.jpg").write_bytes(spare)
    (folder / "link.jpg").symlink_to(Path("..", "..", "outside.jpg"))
    face = {"encoding": [0.01] * 128, "location": [10, 40, 40, 10]}
    base = {
        "id": 0,
        "file_path": "defects/spare.jpg",
        "description": "a spare photo",
        "detailed_description": None,
        "meta_tags": ["photo"],
        "faces": [face],
        "created_at": "2024-06-01T12:00:00Z",
    }
    changes: list[tuple[str, dict | str, str]] = [
        ("bad_json", '{"id": 9001, "file_path": "defects/spare.jpg", "meta_tags": ["beach",}', "record_malformed"),
        ("not_an_object", '["beach", "sea"]', "record_malformed"),
        ("no_id", {"id": None}, "id_missing"),
        ("empty_id", {"id": ""}, "id_missing"),
        ("duplicate_id", {"id": int(first_id)}, "id_duplicate"),
        ("path_dotdot", {"file_path": "../outside.jpg"}, "path_escapes"),
        ("path_absolute", {"file_path": "/etc/hostname"}, "path_escapes"),
        ("path_symlink_out", {"file_path": "defects/link.jpg"}, "path_escapes"),
        ("image_missing", {"file_path": "defects/gone.jpg"}, "image_missing"),
        ("image_truncated", {"file_path": "defects/truncated.jpg"}, "image.truncated"),
        ("image_not_an_image", {"file_path": "defects/notes.jpg"}, "image.undecodable"),
        ("file_path_missing", {"file_path": None}, "field_invalid"),
        ("description_not_text", {"description": 42}, "field_invalid"),
        ("faces_not_a_list", {"faces": "none"}, "field_invalid"),
        ("tags_not_a_list", {"meta_tags": "beach, sea"}, "tags_invalid"),
        ("tag_empty", {"meta_tags": ["beach", "   "]}, "tags_invalid"),
        ("tag_not_text", {"meta_tags": ["beach", 7]}, "tags_invalid"),
        ("tags_missing", {"meta_tags": None}, "tags_invalid"),
        ("encoding_short", {"faces": [face | {"encoding": [0.01] * 127}]}, "encoding_invalid"),
        ("encoding_nan", {"faces": [face | {"encoding": [float("nan")] + [0.01] * 127}]}, "encoding_invalid"),
        ("encoding_text", {"faces": [face | {"encoding": ["0.01"] * 128}]}, "encoding_invalid"),
        ("face_box_outside", {"faces": [face | {"location": [10, w + 20, 40, w - 20]}]}, "face_box_outside"),
        ("face_box_inverted", {"faces": [face | {"location": [40, 10, 10, 40]}]}, "face_box_invalid"),
        ("date_invalid", {"created_at": "last tuesday"}, "date_invalid"),
        ("date_missing", {"created_at": None}, "date_invalid"),
    ]
    lines = []
    for k, (defect, change, rule) in enumerate(changes):
        if isinstance(change, str):
            line = change
        else:
            record = base | {"id": 9000 + k} | change
            line = json.dumps({key: v for key, v in record.items() if v is not None or key == "detailed_description"})
        lines.append((line, rule if rule.startswith("image.") else f"library.{rule}", defect))
    return lines


def _together() -> list[list[str]]:
    """Pairs of single-variant concepts of one topic, each likely (p >= 0.5): they should have high lift."""
    pairs = []
    for topic in TOPICS.values():
        tags = [c for c, p in topic.concepts.items() if "|" not in c and p >= 0.5 and c not in ("outdoor", "indoor")]
        pairs += [[a, b] for i, a in enumerate(tags) for b in tags[i + 1 :]]
    return pairs


def _truth(library: _Library, identities: list) -> dict:
    rules: dict[str, int] = {}
    for r in library.records:
        if r["rule"]:
            rules[r["rule"]] = rules.get(r["rule"], 0) + 1
    accepted = [r for r in library.records if r["expected"] == "accepted"]
    with_faces = {face_id.split("#")[0] for face_id in library.faces}
    return {
        "records": library.records,
        "faces": library.faces,
        "people": {ident.person_id: len(ident.centers) for ident in identities},
        "synonym_groups": synonym_groups(),
        "together": _together(),
        "alternatives": [[a for a, _ in options] for options in ALTERNATIVES.values()],
        "images_without_faces": [r["id"] for r in accepted if r["id"] not in with_faces],
        "summary": {
            "records": len(library.records),
            "accepted": len(accepted),
            "quarantined_by_rule": dict(sorted(rules.items())),
            "faces": len(library.faces),
            "people": len(identities),
        },
    }
