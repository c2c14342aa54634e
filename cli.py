"""`curata`: generate sample data, run the pipeline over a data root, say what is pending, open the Dagster UI.

This is the Dagster code location's CLI, beside `runner.py`; the installed `curata` command reaches it through
`curata.launcher`, which finds this folder. Dagster is imported only by the commands that use it, and the
runner only once DAGSTER_HOME is set.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
from pathlib import Path
from types import ModuleType

from curata.health import REPORTS_LATEST
from curata.layout import DATA_ROOT_ENV, DEFAULT_DATA_ROOT, DataRoot, DataRootError
from curata.privacy import PSEUDONYM_KEY_ENV

PROJECT = Path(__file__).resolve().parent  # the code location: this file lives in it
KEY_FILE = "pseudonym.key"  # in DAGSTER_HOME: the local key when CURATA_PSEUDONYM_KEY is unset


def prepare_environment(data_root: Path) -> tuple[Path, ModuleType]:
    """DAGSTER_HOME (default ./.dagster_home, seeded with the project's dagster.yaml), the data root, a dev key;
    the instance initialised once; returns the home and the code location's runner module."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(PROJECT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ[DATA_ROOT_ENV] = str(data_root.resolve())
    if not os.environ.get(PSEUDONYM_KEY_ENV):
        key_file = home / KEY_FILE
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
            print(f"note: {PSEUDONYM_KEY_ENV} unset; generated a local key in {key_file} (set it in production)")
        os.environ[PSEUDONYM_KEY_ENV] = key_file.read_text().strip()
    import runner  # the code location's: imports Dagster, so only after DAGSTER_HOME is set

    runner.initialise_instance(home)
    return home, runner


def generate_sample(args: argparse.Namespace) -> int:
    from assets.kinds import INPUT_FOLDERS  # every kind's folder, empty ones too: the runs report a missing one
    from curata.sample.curation import generate_curation
    from curata.sample.library import generate_library
    from curata.sample.projects import generate_projects
    from curata.sample.sessions import generate_sessions

    root = DataRoot(Path(args.root).resolve()).create_inputs(INPUT_FOLDERS)
    width, height = (int(v) for v in args.image_size.split("x"))
    small = (max(32, width // 4), max(24, height // 4))
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
        image_size=small,
        defects=args.defect_rate > 0,
    )
    curation = generate_curation(
        root, n_sets=args.curation_sets, seed=args.seed, image_size=small, defects=args.defect_rate > 0
    )
    library = generate_library(root, n_images=args.library_images, seed=args.seed, defects=args.defect_rate > 0)
    summary = {
        "sessions": sessions.summary(),
        "library": library["summary"],
        "projects": {k: v["summary"] for k, v in projects["projects"].items()},
        "curation": curation["summary"],
    }
    print(json.dumps(summary, indent=2))
    return 0


def checked_layout(root: Path) -> DataRoot | None:
    """The data root once it is usable; otherwise its one-sentence reason is printed and None returned."""
    try:
        return DataRoot(root).check()
    except DataRootError as exc:
        print(f"curata: {exc}")
        return None


def run(args: argparse.Namespace, clip_architecture: str | None = None) -> int:
    """Every job over the data root, only what changed since the last run; prints the summary."""
    root = Path(args.root).resolve()
    layout = checked_layout(root)
    if layout is None:
        return 2
    _, runner = prepare_environment(root)
    defs = runner.build_definitions_for(root, clip_architecture)
    from dagster import DagsterInstance
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[label]}"),
    )
    failed = None
    for line in runner.skipped_inputs(layout):
        print(line)
    with DagsterInstance.get() as instance, Progress(*columns) as progress:
        tasks: dict[str, int] = {}
        for step in runner.run_pipeline(defs, layout, instance):
            if step.stage not in tasks:
                tasks[step.stage] = progress.add_task(step.stage, total=step.total, label="")
            progress.update(tasks[step.stage], completed=step.done, label=step.label)
            if not step.ok:
                failed = step
    if failed is not None:
        print(f"{failed.label} FAILED: {failed.why}")
        print("see the run in the Dagster UI (curata ui); the next `curata run` resumes")
        return 1
    return _print_summary(root, runner)


def _print_summary(root: Path, runner: ModuleType) -> int:
    from assets.health import SECTIONS
    from curata.summary import render_summary

    store = runner.output_store(runner.build_definitions_for(root))
    if not store.exists(REPORTS_LATEST):
        print("no health report yet: nothing was published")
        return 1
    print(render_summary(json.loads(store.read_text(REPORTS_LATEST)), store, SECTIONS))
    return 0


def demo(args: argparse.Namespace) -> int:
    """Generates the bundled sample data, runs every job on it, prints the summary and checks it record by record."""
    root = Path(args.root).resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / "ground_truth" / "sessions.json").exists():
            print(
                f"{root} holds data the sample generator did not write; the demo will not touch it. "
                "Pass --root with a new folder, or use `curata run` on your own data."
            )
            return 2
        shutil.rmtree(root)  # a previous demo's generated root: regenerated below from the same seed
    generate_sample(args)
    status = run(args, clip_architecture=args.clip_architecture)
    if status != 0:
        return status
    import runner
    from curata.sample.compare import all_mismatches, caption_mismatches, library_quality_report
    from curata.warehouse import Warehouse

    warehouse = Warehouse(runner.output_store(runner.build_definitions_for(root)))
    print(json.dumps({"library quality on the planted truth": library_quality_report(DataRoot(root), warehouse)}))
    problems = all_mismatches(DataRoot(root), warehouse) + caption_mismatches(DataRoot(root), warehouse.store)
    if problems:
        print(f"\nground truth MISMATCH on {len(problems)} records:")
        print("\n".join(f"  {p}" for p in problems[:30]))
        return 1
    print(
        "ground truth: every session folder, log line, project file and group, curation log row and library "
        "record has the expected outcome and rule, and every preference pair the caption its images carry"
    )
    return 0


def status(args: argparse.Namespace) -> int:
    """What a `curata run` would do now, and what is waiting on a person."""
    root = Path(args.root).resolve()
    layout = checked_layout(root)
    if layout is None:
        return 2
    _, runner = prepare_environment(root)
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        print(runner.describe_status(runner.build_definitions_for(root), layout, instance))
    return 0


def stats(args: argparse.Namespace) -> int:
    """Records, bytes and monthly cost per storage tier, savings from archiving, recommendations."""
    _, runner = prepare_environment(Path(args.root).resolve())
    from curata.summary import render_summary_datasets
    from resources.archive import COLD, stats_command

    defs = runner.build_definitions_for(Path(args.root).resolve())
    with runner.resolved(defs, "curata", COLD, "exports") as (curata, cold, exports):
        print(stats_command(curata, cold))
        print("\n".join(["", "datasets:", *render_summary_datasets(curata.store, exports.readiness)]))
    return 0


def restore(args: argparse.Namespace) -> int:
    """An archived day's session folders back in sessions/, byte for byte, after verifying the object."""
    _, runner = prepare_environment(Path(args.root).resolve())
    from curata.archive import ArchiveError
    from resources.archive import COLD, restore_command

    with runner.resolved(runner.build_definitions_for(Path(args.root).resolve()), "curata", COLD) as (curata, cold):
        try:
            done = restore_command(curata, cold, args.day)
        except ArchiveError as exc:
            print(f"curata restore: {exc}", file=sys.stderr)
            return 1
    print(f"{args.day}: {done.restored} folder(s) restored, {done.already_hot} already in place")
    return 0


def forget(args: argparse.Namespace) -> int:
    """Erases one person (by email, pseudonym or session id) from every tier; the email is never written."""
    from curata.privacy import is_email

    email = sys.stdin.readline().strip() if args.email == "-" else args.email
    if email is not None and not is_email(email):
        print("curata forget: --email needs an address (for an anonymous session use --session-id)", file=sys.stderr)
        return 2
    root = Path(args.root).resolve()
    _, runner = prepare_environment(root)
    from dagster import DagsterInstance

    from curata.erasure.requests import BadRequest
    from curata.privacy import PseudonymKeyError

    defs = runner.build_definitions_for(root)
    try:
        request_id = args.resume or runner.request_erasure(defs, email, args.pseudonym, args.session_id).id
    except (BadRequest, PseudonymKeyError) as exc:
        print(f"curata forget: {exc}", file=sys.stderr)
        return 2
    print(f"erasure request {request_id}")
    with DagsterInstance.get() as instance:
        entry, why = runner.run_erasure(defs, instance, request_id)
    if entry is None:
        print(
            f"curata forget: {why}; the request stays pending: `curata forget --resume {request_id}`", file=sys.stderr
        )
        return 1
    found = entry["found"]
    if found["nothing_found"]:
        print("no data found for this person: nothing to remove; a tombstone refuses their data from now on")
    else:
        print(f"erased {len(found['sessions'])} session(s) over {len(found['days'])} day(s) from every tier")
    return 0


def rotate_key(args: argparse.Namespace) -> int:
    """Re-keys every pseudonym to the key held by the environment variable named; it then becomes the key."""
    if not os.environ.get(args.new_key_env):
        print(f"curata rotate-key: {args.new_key_env} is not set; it must hold the new key", file=sys.stderr)
        return 2
    from_file = not os.environ.get(PSEUDONYM_KEY_ENV)
    home, runner = prepare_environment(Path(args.root).resolve())
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        summary, why = runner.run_rotation(
            runner.build_definitions_for(Path(args.root).resolve()), instance, args.new_key_env
        )
    if summary is None:
        print(f"curata rotate-key: {why}; run the same command again to finish the rotation", file=sys.stderr)
        return 1
    if from_file:
        (home / KEY_FILE).write_text(os.environ[args.new_key_env])  # the local key file follows the rotation
    print(f"pseudonyms re-keyed from {summary['from']} to {summary['to']} ({summary.get('people', 0)} people)")
    print(f"set {PSEUDONYM_KEY_ENV} to the new key from now on; runs with the old key are refused")
    return 0


def ui(args: argparse.Namespace) -> int:
    prepare_environment(Path(args.root).resolve())
    os.chdir(PROJECT)
    dagster = shutil.which("dagster") or str(Path(sys.executable).parent / "dagster")
    argv = [dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(args.port)]
    print("starting:", " ".join(argv))
    os.execv(argv[0], argv)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curata", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        default=os.environ.get(DATA_ROOT_ENV) or DEFAULT_DATA_ROOT,
        help=f"data root (env {DATA_ROOT_ENV}, default ./{DEFAULT_DATA_ROOT})",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in (
        ("generate-sample", generate_sample, "write a sample data root with known defects and ground truth"),
        ("demo", demo, "generate sample data, run every job, print the summary and compare it with the ground truth"),
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
        p.add_argument("--library-images", type=int, default=400, help="images in the tagged photo library")
        p.add_argument("--clip-architecture", default="ViT-B-32", help="open_clip model for the embeddings")
        p.set_defaults(func=func)
    sub.add_parser("run", help="run every job over the data root (your own), resumable").set_defaults(func=run)
    sub.add_parser("status", help="what a run would do now, and what waits on a person").set_defaults(func=status)
    sub.add_parser("stats", help="records, bytes and monthly cost per storage tier").set_defaults(func=stats)
    p = sub.add_parser("restore", help="bring an archived day's session folders back from the cold tier")
    p.add_argument("day", help="YYYY-MM-DD")
    p.set_defaults(func=restore)
    p = sub.add_parser("forget", help="erase one person's data from every tier (deletion on request)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="their address; `-` reads it from standard input (kept out of shell history)")
    who.add_argument("--pseudonym", help="their pseudonym, as the tables show it")
    who.add_argument("--session-id", help="one session folder (an anonymous session)")
    who.add_argument("--resume", metavar="REQUEST_ID", help="finish a request whose run was stopped")
    p.set_defaults(func=forget)
    p = sub.add_parser("rotate-key", help="re-key every pseudonym to a new key, resumably")
    p.add_argument("--new-key-env", required=True, help="name of the environment variable holding the new key")
    p.set_defaults(func=rotate_key)
    p = sub.add_parser("ui", help="open the Dagster UI on 127.0.0.1 with sensors and schedules running")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=ui)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
