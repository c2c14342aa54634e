"""Finished projects with known winners and anomalies: `<p>/sandbox/<p>/` stages, `<p>/<p>/` winners."""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from curata.layout import DataRoot
from curata.sample.prompts import PROMPT_FORMATS, encoded
from curata.sample.scenes import STYLES, render_house
from curata.sample.session_defects import bmp_declaring, png_declaring

PROJECT_NAMES = ["mojo_old", "mojo2", "harbor_lofts", "cedar_street", "oak_view"]
STAGE_STYLES = list(STYLES)
# How a group's stages carry their prompt, in turn, by image format (a sidecar would be a stray file here).
CAPTION_FORMATS = {"JPEG": ("exif", "xmp", None), "PNG": ("a1111", "comfyui", None, None)}


def _render_stage(args: tuple[int, int, tuple[int, int], str, str | None]) -> bytes:
    seed, stage, size, fmt, prompt = args
    img = render_house(seed, size, style=STAGE_STYLES[stage % len(STAGE_STYLES)])
    return encoded(img, prompt, _caption_format(fmt, seed), fmt)


def _caption_format(image_format: str, seed: int) -> str | None:
    formats = CAPTION_FORMATS[image_format]
    return formats[seed % len(formats)]


def _prompt(seed: int) -> str:
    return f"a modern villa on a hillside, plan {seed % 1000:03d}"


def generate_projects(
    root: DataRoot,
    *,
    n_projects: int = 3,
    groups_per_project: int = 24,
    seed: int = 11,
    image_size: tuple[int, int] = (256, 192),
    defects: bool = True,
    workers: int | None = None,
) -> dict:
    """Writes the projects and returns (and saves) the ground truth: groups, pairs, quarantine."""
    rng = np.random.default_rng(seed)
    if root.projects.exists():
        shutil.rmtree(root.projects)
    plans = []
    for p in range(n_projects):
        name = PROJECT_NAMES[p] if p < len(PROJECT_NAMES) else f"project_{p:03d}"
        start = datetime(2025, 7, 8, 6, 7, 11) + timedelta(days=30 * p)
        for g in range(groups_per_project):
            n_stages = int(rng.choice([2, 3, 3, 3, 4]))
            ext = "jpg" if rng.random() < 0.2 else "png"
            plans.append((name, g, start + timedelta(seconds=97 * g), n_stages, ext))
    jobs = [
        (seed * 1_000_003 + i, stage, image_size, "JPEG" if plan[4] == "jpg" else "PNG", _prompt(seed * 1_000_003 + i))
        for i, plan in enumerate(plans)
        for stage in range(1, plan[3] + 1)
    ]
    captions = {
        (plan[0], plan[1]): {"caption": _prompt(job[0]), "source": PROMPT_FORMATS[_caption_format(job[3], job[0])]}
        for plan, job in zip(plans, (j for j in jobs if j[1] == 1), strict=True)
        if _caption_format(job[3], job[0]) is not None
    }
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        rendered = iter(list(pool.map(_render_stage, jobs, chunksize=16)))

    truth: dict = {"projects": {}, "captions": {}}
    for name, g, ts, n_stages, ext in plans:
        if name not in truth["projects"]:
            truth["projects"][name] = _new_project(root, name)
        project = truth["projects"][name]
        sandbox, winners = _dirs(root, name)
        key = ts.strftime("%Y%m%d_%H%M%S")
        members = []
        for stage in range(1, n_stages + 1):
            suffix = "_upscaled" if stage == n_stages and rng.random() < 0.1 else ""
            path = sandbox / f"{key}_stage{stage}{suffix}.{ext}"
            path.write_bytes(next(rendered))
            members.append((stage, path))
            if (name, g) in captions:
                truth["captions"][_rel(root, path)] = captions[(name, g)]
        project["files"] += len(members)
        roll = rng.random()
        if roll < 0.1:
            project["groups"][key] = {"outcome": "none_kept", "chosen": None, "anomaly": False}
            continue
        chosen_stage = int(rng.integers(1, n_stages)) if roll < 0.25 else n_stages
        chosen = next(p for s, p in members if s == chosen_stage)
        mode = rng.random()
        if mode < 0.08:
            target, method = winners / f"keeper_{g:04d}.{ext}", "content"
            shutil.copy(chosen, target)
        elif mode < 0.13:
            target, method = winners / f"{key}_final.png", "pixels"
            with Image.open(chosen) as img:
                img.save(target, "PNG", compress_level=9)
        else:
            target, method = winners / chosen.name, "name"
            shutil.copy(chosen, target)
        project["files"] += 1
        rel = _rel(root, chosen)
        project["groups"][key] = {
            "outcome": "chosen",
            "chosen": rel,
            "anomaly": chosen_stage < n_stages,
            "method": method,
            "winner": _rel(root, target),
        }
        for stage, path in members:
            if path != chosen:
                project["pairs"].append([rel, _rel(root, path), stage > chosen_stage])
    if defects:
        for name, project in truth["projects"].items():
            _inject_defects(root, name, project)
    for project in truth["projects"].values():
        project["summary"] = _summary(project)
    root.ground_truth.mkdir(parents=True, exist_ok=True)
    (root.ground_truth / "projects.json").write_text(json.dumps(truth, indent=2))
    return truth


def _dirs(root: DataRoot, name: str) -> tuple[Path, Path]:
    return root.projects / name / "sandbox" / name, root.projects / name / name


def _rel(root: DataRoot, path: Path) -> str:
    return path.relative_to(root.root).as_posix()


def _new_project(root: DataRoot, name: str) -> dict:
    for folder in _dirs(root, name):
        folder.mkdir(parents=True, exist_ok=True)
    return {"groups": {}, "pairs": [], "quarantine": [], "files": 0}


def _inject_defects(root: DataRoot, name: str, project: dict) -> None:
    """Strays, a group with two winners, and a winner whose group is gone: each with its rule."""
    sandbox, winners = _dirs(root, name)
    for stray in ("notes.txt", "IMG_1234.png", "20250708_0607_stage1.png", "Thumbs.db"):
        (sandbox / stray).write_bytes(b"not a stage")
        project["quarantine"].append([_rel(root, sandbox / stray), "project.stray_file"])
    (winners / "desktop.ini").write_bytes(b"[.ShellClassInfo]")
    project["quarantine"].append([_rel(root, winners / "desktop.ini"), "project.stray_file"])
    project["files"] += 5

    key = next(k for k, g in project["groups"].items() if g["outcome"] == "chosen" and g["method"] == "name")
    group = project["groups"][key]
    other = next(p for p in sorted(sandbox.glob(f"{key}_stage*")) if _rel(root, p) != group["chosen"])
    shutil.copy(other, winners / other.name)
    project["files"] += 1
    project["pairs"] = [p for p in project["pairs"] if p[0] != group["chosen"]]
    project["groups"][key] = {"outcome": "quarantined", "chosen": None, "anomaly": False}
    first_winner = sorted([group["winner"], _rel(root, winners / other.name)])[0]
    project["quarantine"].append([f"{name}/{key}", "project.group_two_winners", first_winner])

    orphan = winners / "20240101_000000_stage2.png"
    render_house(987_654, (64, 48)).save(orphan, "PNG")
    project["files"] += 1
    project["quarantine"].append([_rel(root, orphan), "project.winner_without_group"])

    # Stage-named files that lie about themselves: refused by the image inspection, never grouped or decoded.
    hostile = {
        f"{key}_stage7.png": (bmp_declaring(20_000, 20_000), "image.too_many_pixels"),
        f"{key}_stage8.png": (png_declaring(30_000, 30_000), "image.too_many_pixels"),
        f"{key}_stage9.png": (b"not a picture at all\n" * 10, "image.undecodable"),
    }
    for name, (data, rule) in hostile.items():
        (sandbox / name).write_bytes(data)
        project["quarantine"].append([_rel(root, sandbox / name), rule])
    project["files"] += len(hostile)


def _summary(project: dict) -> dict:
    chosen = [g for g in project["groups"].values() if g["outcome"] == "chosen"]
    anomalies = sum(g["anomaly"] for g in chosen)
    return {
        "files": project["files"],
        "groups": len(project["groups"]),
        "groups_chosen": len(chosen),
        "groups_none_kept": sum(g["outcome"] == "none_kept" for g in project["groups"].values()),
        "pairs": len(project["pairs"]),
        "anomalies": anomalies,
    }
