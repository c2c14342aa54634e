"""`curata` command: generate sample data, run the demo end to end, open the Dagster UI."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

from curata.layout import DEFAULT_DATA_ROOT, DataRoot
from curata.privacy import PSEUDONYM_KEY_ENV

REPO = Path(__file__).resolve().parent


def prepare_environment(data_root: Path) -> Path:
    """Sets DAGSTER_HOME (default ./.dagster_home) with this repo's dagster.yaml, the data root and a dev key."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    initialise_instance(home)
    os.environ["CURATA_DATA_ROOT"] = str(data_root.resolve())
    if not os.environ.get(PSEUDONYM_KEY_ENV):
        key_file = home / "pseudonym.key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
            print(f"note: {PSEUDONYM_KEY_ENV} unset; generated a local key in {key_file} (set it in production)")
        os.environ[PSEUDONYM_KEY_ENV] = key_file.read_text().strip()
    return home


def initialise_instance(home: Path) -> None:
    """Creates the instance's storage once, under a lock, so two first commands never race its migrations."""
    from dagster import DagsterInstance

    with open(home / ".initialise.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with DagsterInstance.from_config(str(home)) as instance:
            instance.get_runs(limit=1)
            instance.all_instigator_state()


def generate_sample(args: argparse.Namespace) -> int:
    from curata.sample.curation import generate_curation
    from curata.sample.projects import generate_projects
    from curata.sample.sessions import generate_sessions

    root = DataRoot(Path(args.root).resolve()).create_inputs()
    width, height = (int(v) for v in args.image_size.split("x"))
    sessions = generate_sessions(
        root,
        n_sessions=args.sessions,
        days=args.days,
        seed=args.seed,
        defect_rate=args.defect_rate,
        image_size=(width, height),
    )
    projects = generate_projects(
        root,
        n_projects=args.projects,
        groups_per_project=args.groups,
        seed=args.seed,
        image_size=(max(32, width // 4), max(24, height // 4)),
        defects=args.defect_rate > 0,
    )
    curation = generate_curation(
        root,
        n_sets=args.curation_sets,
        seed=args.seed,
        image_size=(max(32, width // 4), max(24, height // 4)),
        defects=args.defect_rate > 0,
    )
    summary = {
        "sessions": sessions.summary(),
        "projects": {k: v["summary"] for k, v in projects["projects"].items()},
        "curation": curation["summary"],
    }
    print(json.dumps(summary, indent=2))
    return 0


def demo(args: argparse.Namespace) -> int:
    """Generates the bundled sample data, runs every job on it, prints the summary and checks it."""
    root = Path(args.root).resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / "ground_truth" / "sessions.json").exists():
            print(
                f"{root} holds data the sample generator did not write; the demo will not touch it. "
                "Pass --root with a new folder."
            )
            return 2
        shutil.rmtree(root)  # a previous demo's generated root: regenerated below from the same seed
    generate_sample(args)
    prepare_environment(root)
    from demo_run import run_demo  # imports Dagster: only after DAGSTER_HOME is set

    return run_demo(root, clip_architecture=args.clip_architecture)


def ui(args: argparse.Namespace) -> int:
    prepare_environment(Path(args.root).resolve())
    os.chdir(REPO)
    dagster = shutil.which("dagster") or str(Path(sys.executable).parent / "dagster")
    argv = [dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(args.port)]
    print("starting:", " ".join(argv))
    os.execv(argv[0], argv)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curata", description=__doc__)
    parser.add_argument(
        "--root",
        default=os.environ.get("CURATA_DATA_ROOT") or DEFAULT_DATA_ROOT,
        help="data root (env CURATA_DATA_ROOT, default ./curata-data)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in (
        ("generate-sample", generate_sample, "write a sample data root with known defects and ground truth"),
        ("demo", demo, "generate sample data, run ingest, export and health, print the summary"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--sessions", type=int, default=60)
        p.add_argument("--days", type=int, default=5)
        p.add_argument("--seed", type=int, default=7)
        p.add_argument("--defect-rate", type=float, default=0.35)
        p.add_argument("--image-size", default="1024x768", help="session images; project stages are 1/4 of it")
        p.add_argument("--projects", type=int, default=3)
        p.add_argument("--groups", type=int, default=24, help="stage groups per project")
        p.add_argument("--curation-sets", type=int, default=40, help="image groups in the curation logs")
        p.add_argument("--clip-architecture", default="ViT-B-32", help="open_clip model for the embeddings")
        p.set_defaults(func=func)
    p = sub.add_parser("ui", help="open the Dagster UI on 127.0.0.1 with sensors and schedules running")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=ui)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
