"""Synthetic face identities whose 128-d encodings behave like face_recognition's (dlib ResNet) ones.

dlib's encodings are not unit vectors: every face sits near one shared "average face" (norm about 1),
a person's photos scatter about 0.4 apart, different people about 0.85, and face_recognition calls a
pair the same person below 0.6 (99.38% right on LFW). The numbers below reproduce that, plus the
cases that break naive clustering. Measured on 2,000 people x 10 photos (bounds in tests/test_faces.py):

- same person, same look: median distance 0.41, 99.4% of pairs below 0.6;
- same person, any look: median 0.42, 94% below 0.6;
- different people: median 0.85, 0.3% of pairs below 0.6 and 0.01% below 0.5 (poor photos of
  "average-looking" people): few per pair, many in a large library;
- a person's looks ("lobes": years apart, glasses, beard) sit 0.30-0.55 apart, so faces across two
  looks are 0.5-0.7 apart: straddling the threshold;
- 10% of photos are poor (blurry, small, turned away): pulled 20-50% of the way towards the average
  face, where poor photos of different people meet: what chains a loose threshold into mega-clusters.
Twins (two people closer than one person's looks) are not modelled: no encoding can part them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIM = 128
# The "average face" every encoding is scattered around; one for the whole population.
POPULATION_MEAN = np.random.default_rng(20_240_128).normal(0.0, 0.07, DIM)
PERSON_SPREAD = 0.53  # norm of a person's offset from the average face: two people's centres ~0.75 apart
PERSON_SPREAD_JITTER = 0.08  # relative: some faces are more "typical" (nearer the average) than others
LOBE_OFFSET = (0.30, 0.55)  # distance of a second or third look from the person's first
FACE_NOISE = 0.28  # norm of one photo's deviation from its look's centre: same-person pairs ~0.40 apart
FACE_NOISE_JITTER = 0.2  # lognormal sigma of that norm per photo
POOR_FACE_SHARE = 0.10
POOR_FACE_PULL = (0.20, 0.50)  # how far a poor face is pulled towards the average face


@dataclass(frozen=True)
class FaceIdentity:
    person_id: str
    centers: np.ndarray  # (n_lobes, 128): one centre per look of this person


def make_identities(n_people: int, rng: np.random.Generator, lobe_share: float = 0.2) -> list[FaceIdentity]:
    """`n_people` people; a `lobe_share` of them have 2 or 3 looks instead of one."""
    radii = PERSON_SPREAD * np.clip(rng.normal(1.0, PERSON_SPREAD_JITTER, n_people), 0.75, 1.25)
    firsts = POPULATION_MEAN + _directions(rng, n_people) * radii[:, None]
    n_lobes = np.where(rng.random(n_people) < lobe_share, rng.integers(2, 4, n_people), 1)
    identities = []
    for i in range(n_people):
        extra = _directions(rng, n_lobes[i] - 1) * rng.uniform(*LOBE_OFFSET, (n_lobes[i] - 1, 1))
        centers = np.vstack([firsts[i], firsts[i] + extra])
        identities.append(FaceIdentity(f"person-{i:06d}", centers))
    return identities


def draw_encodings(identity: FaceIdentity, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` photos of one person: a look each, some of them poor, each with its own noise; (n, 128) float32."""
    centers = identity.centers[rng.integers(0, len(identity.centers), n)]
    poor = rng.random(n) < POOR_FACE_SHARE
    pull = np.where(poor, rng.uniform(*POOR_FACE_PULL, n), 0.0)[:, None]
    pulled = centers + pull * (POPULATION_MEAN - centers)
    noise = FACE_NOISE * np.exp(rng.normal(0.0, FACE_NOISE_JITTER, n))[:, None]
    return (pulled + _directions(rng, n) * noise).astype(np.float32)


def _directions(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` random unit vectors in 128 dimensions."""
    v = rng.normal(size=(n, DIM))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@dataclass(frozen=True)
class FaceSample:
    """A generated set of faces with the truth: who each face is (strangers seen once included)."""

    face_ids: np.ndarray  # str, unique
    image_ids: np.ndarray  # str: the photo each face is in
    encodings: np.ndarray  # (n, 128) float32
    person_ids: np.ndarray  # str: the truth


def sample_faces(
    n_faces: int, rng: np.random.Generator, *, stranger_share: float = 0.05, lobe_share: float = 0.2
) -> FaceSample:
    """`n_faces` faces of a library in random order: few people in many photos, many in few (Zipf-like),
    plus a `stranger_share` of faces of passers-by seen once; a `lobe_share` of people have several looks."""
    n_known = int(n_faces * (1 - stranger_share))
    weights = 1.0 / np.arange(1, max(2, n_known // 8) + 1) ** 0.9  # people ranked by how often they appear
    counts = rng.multinomial(n_known, weights / weights.sum())
    counts = counts[counts > 0]
    identities = make_identities(len(counts) + n_faces - n_known, rng, lobe_share)
    sizes = np.concatenate([counts, np.ones(n_faces - n_known, dtype=int)])
    encodings = np.vstack([draw_encodings(ident, int(k), rng) for ident, k in zip(identities, sizes, strict=True)])
    persons = np.repeat([ident.person_id for ident in identities], sizes)
    order = rng.permutation(len(persons))
    face_ids = np.array([f"face-{i:07d}" for i in range(len(persons))])
    image_ids = np.array([f"img-{i:07d}" for i in rng.integers(0, max(1, len(persons) * 2 // 3), len(persons))])
    return FaceSample(face_ids, image_ids, encodings[order], persons[order])
