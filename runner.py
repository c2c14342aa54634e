"""Runs every job of the code location over one data root, in order, doing only what changed since the last run.

`curata run`, `curata demo` and `curata status` use it. A day, project, log or library whose inputs are
unchanged since its last successful run is not run again (its fingerprint is a run tag), so a killed
`curata run` resumes where it stopped.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    ExecuteInProcessResult,
    RunsFilter,
    build_resources,
)

from assets.embeddings import image_embeddings
from assets.erasure import erasure_audit, rotate_key_everywhere, rotate_pseudonym_key_job
from assets.exports import edit_triplets
from assets.health import data_health_report
from assets.jobs import CURATION_DATASETS, erase_person_job, publish_curation_job, publish_job
from assets.kinds import INPUT_KINDS, InputKind
from assets.partitions import PARTITION_TAG
from assets.plans import Work
from curata.embeddings.tables import IMAGE_EMBEDDINGS
from curata.erasure.audit import read_audit
from curata.erasure.keys import check_key
from curata.erasure.requests import ErasureRequest, new_request
from curata.layout import DataRoot
from curata.sessions.tables import DEFERRED_SESSIONS
from curata.storage import Store
from curata.summary import render_summary_datasets
from curata.warehouse import Warehouse

FINGERPRINT_TAG = "curata/input-fingerprint"
# Dagster's console logger stays quiet: a failed run is told by `failure_message`, in a line or two, not a stack trace.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
SHOWN_PROBLEMS = 3  # offending records named when a check fails


@dataclass(frozen=True)
class Step:
    """Progress of a run through the plan, for the CLI's progress bars."""

    stage: str
    done: int
    total: int
    label: str
    ok: bool = True
    why: str = ""  # why the run failed, in a line or two


@dataclass
class Plan:
    todo: list[Work] = field(default_factory=list)
    up_to_date: list[Work] = field(default_factory=list)


def build_definitions_for(root: Path, clip_architecture: str | None = None) -> Definitions:
    from definitions import build_definitions
    from resources.clip_model import ClipModel

    return build_definitions(str(root), clip=ClipModel(architecture=clip_architecture) if clip_architecture else None)


@contextmanager
def resolved(defs: Definitions, *keys: str) -> Iterator[list]:
    """The code location's resources with their EnvVars read, as a run would see them."""
    top = defs.get_repository_def().get_top_level_resources()
    with build_resources({key: top[key] for key in keys}) as built:
        yield [getattr(built, key) for key in keys]


def output_store(defs: Definitions) -> Store:
    """Where the runs wrote: the `curata` resource's store (the data root, or an S3 prefix)."""
    with resolved(defs, "curata") as (curata,):
        return curata.store


def describe_status(defs: Definitions, layout: DataRoot, instance: DagsterInstance) -> str:
    """Runs due, runs that failed, deferred folders, images without vectors, and each dataset's readiness."""
    plan = plan_work(defs, layout, instance)
    due = [w.label for w in plan.todo if w.fingerprint]
    lines = [f"runs due ({len(due)}): {', '.join(due) or 'none'}"]
    lines.append(f"up to date: {', '.join(w.label for w in plan.up_to_date) or 'nothing yet'}")
    failed = [r for r in instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.FAILURE]), limit=20)]
    lines += [f"failed run {r.run_id[:8]}: {r.job_name} {r.tags.get(PARTITION_TAG, '')}" for r in failed[:10]]
    with resolved(defs, "curata", "exports") as (curata, exports):
        store, readiness = curata.store, exports.readiness
    warehouse = Warehouse(store)
    deferred = warehouse.rows(DEFERRED_SESSIONS.name)
    lines += [f"deferred: {d['session_folder']}: {d['reason']}" for d in deferred[:20]]
    if warehouse.exists(IMAGE_EMBEDDINGS.name):
        status = warehouse.read(IMAGE_EMBEDDINGS.name, columns=["status"]).column("status").to_pylist()
        lines.append(
            f"images: {status.count('ok')} embedded, {status.count('failed')} failed, {status.count('missing')} missing"
        )
    lines += render_summary_datasets(store, readiness)
    return "\n".join(lines)


def initialise_instance(home: Path) -> None:
    """Creates the instance's storage once, under a lock, so two first commands never race its migrations."""
    with open(home / ".initialise.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with DagsterInstance.from_config(str(home)) as instance:
            instance.get_runs(limit=1)
            instance.all_instigator_state()


# The table each input job writes: a run is up to date only while what it wrote is still in the store (a data root
# regenerated with the same folder names, as `curata demo` does, has the same fingerprints and an empty warehouse).
WRITES = {kind.job.name: kind.written.name for kind in INPUT_KINDS}
PUBLISH = "publish"  # the stage of the runs that publish what the input kinds' tables feed


def plan_work(defs: Definitions, layout: DataRoot, instance: DagsterInstance) -> Plan:
    """Every run the data root calls for, split into those its inputs changed for and those up to date; each kind's
    folder is read with the limits the `curata` resource sets (the metadata limit places an undated session)."""
    with resolved(defs, "curata") as (curata,):
        inputs = [work for kind in INPUT_KINDS for work in kind.plan(layout, curata)]
        warehouse = curata.warehouse
    plan = Plan()
    for work in [*inputs, *_publish(present_kinds(layout))]:
        fresh = (
            work.fingerprint
            and _last_fingerprint(instance, work) == work.fingerprint
            and warehouse.exists(WRITES[work.job], work.partition)
        )
        (plan.up_to_date if fresh else plan.todo).append(work)
    return plan


def run_pipeline(defs: Definitions, layout: DataRoot, instance: DagsterInstance) -> Iterator[Step]:
    """Launches the runs that are due, in order; stops at the first failed run (its day or project is named)."""
    plan = plan_work(defs, layout, instance)
    for kind in INPUT_KINDS:
        partitions = [w.partition for w in plan.todo + plan.up_to_date if w.job == kind.job.name and w.partition]
        for dynamic in kind.dynamic_partitions:
            instance.add_dynamic_partitions(dynamic.name, partitions)
    by_stage: dict[str, list[Work]] = {}
    for work in plan.todo:
        by_stage.setdefault(work.stage, []).append(work)
    for stage, works in by_stage.items():
        for done, work in enumerate(works, start=1):
            result = defs.resolve_job_def(work.job).execute_in_process(
                partition_key=work.partition,
                asset_selection=list(work.assets) if work.assets else None,
                instance=instance,
                tags={FINGERPRINT_TAG: work.fingerprint} if work.fingerprint else None,
                raise_on_error=False,
                run_config=QUIET,
            )
            yield Step(stage, done, len(works), work.label, result.success, failure_message(result))
            if not result.success:
                return


def _last_fingerprint(instance: DagsterInstance, work: Work) -> str | None:
    tags = {PARTITION_TAG: work.partition} if work.partition else {}
    runs = instance.get_runs(RunsFilter(job_name=work.job, tags=tags, statuses=[DagsterRunStatus.SUCCESS]), limit=1)
    return runs[0].tags.get(FINGERPRINT_TAG) if runs else None


# What each input folder is read by, for `curata run` on a root holding only some of them.
INPUT_STAGES = {kind.folder.name: kind.skipped for kind in INPUT_KINDS}


def present_kinds(layout: DataRoot) -> list[InputKind]:
    return [kind for kind in INPUT_KINDS if layout.folder(kind.folder).is_dir()]


def skipped_inputs(layout: DataRoot) -> list[str]:
    """One line per input folder the data root does not hold: what is skipped for it."""
    present = {kind.folder.name for kind in present_kinds(layout)}
    missing = [(name, what) for name, what in INPUT_STAGES.items() if name not in present]
    return [f"no {name}/ in the data root: skipped {what}" for name, what in missing]


def _publish(present: list[InputKind]) -> list[Work]:
    """Always run, for what the root holds: embeddings and exports do only what is new, and reuse a version whose
    content is unchanged; the health report is written whatever the root holds."""
    fed = {dataset for kind in present for dataset in kind.feeds}
    report_only = None if edit_triplets.key in fed else (data_health_report.key,)
    works = [Work(PUBLISH, publish_job.name, None, "", report_only)]  # health, embeddings, edit triplets
    datasets = [key for dataset, keys in CURATION_DATASETS.items() if dataset in fed for key in keys]
    if datasets:
        works.append(Work(PUBLISH, publish_curation_job.name, None, "", (image_embeddings.key, *datasets)))
    return works


# -- `curata forget` and `curata rotate-key`: the request is made here, the work is done by a job ---------------


def request_erasure(
    defs: Definitions, email: str | None, pseudonym: str | None, session_id: str | None
) -> ErasureRequest:
    """Records the request (the email becomes its pseudonym here, in memory) and returns it."""
    with resolved(defs, "curata") as (curata,):
        key = curata.key
        check_key(curata.store, key)  # a request made with another key would find nobody
        return new_request(
            curata.store,
            pseudonym=key.pseudonymize(email) if email else pseudonym,
            key_id=key.key_id,
            session_ids=(session_id,) if session_id else (),
        )


def run_erasure(defs: Definitions, instance: DagsterInstance, request_id: str) -> tuple[dict | None, str]:
    """(the request's audit entry, "") once done; (None, why) when the run failed: the request stays pending."""
    config = {"ops": {erasure_audit.op.name: {"config": {"request_id": request_id}}}}
    result = defs.resolve_job_def(erase_person_job.name).execute_in_process(
        instance=instance, run_config=config | QUIET, raise_on_error=False
    )
    if not result.success:
        return None, failure_message(result)
    return read_audit(output_store(defs), request_id), ""


def run_rotation(defs: Definitions, instance: DagsterInstance, new_key_env: str) -> tuple[dict | None, str]:
    """(the rotation's summary, "") once every pseudonym is re-keyed; (None, why) when the run failed."""
    config = {"ops": {rotate_key_everywhere.name: {"config": {"new_key_env": new_key_env}}}}
    result = defs.resolve_job_def(rotate_pseudonym_key_job.name).execute_in_process(
        instance=instance, run_config=config | QUIET, raise_on_error=False
    )
    if not result.success:
        return None, failure_message(result)
    return result.output_for_node(rotate_key_everywhere.name), ""


def failure_message(result: ExecuteInProcessResult) -> str:
    """Why a run failed, in the words of the error that started it (not Dagster's wrapper around it)."""
    causes = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None and error.cause is not None:
            error = error.cause
        if error is not None and error.cls_name != "DagsterAssetCheckFailedError":  # the checks below say it better
            causes.append(_without_class(" ".join(error.message.split())))
    checks = [_failed_check(e, result) for e in result.get_asset_check_evaluations() if not e.passed]
    if result.success:
        return ""
    return "; ".join(causes + checks) or "the run failed"


def _failed_check(evaluation: AssetCheckEvaluation, result: ExecuteInProcessResult) -> str:
    """`check <name> of <asset> [<partition>] failed: <first offending records>`."""
    partition = result.dagster_run.tags.get(PARTITION_TAG)
    where = f"{evaluation.asset_key.to_user_string()}{f' [{partition}]' if partition else ''}"
    metadata = evaluation.metadata
    evidence = metadata.get("first_problems") or metadata.get("summary")
    first = str(getattr(evidence, "value", evidence) or "").splitlines()[:SHOWN_PROBLEMS]
    return f"check {evaluation.check_name} of {where} failed" + (f": {'; '.join(first)}" if first else "")


def _without_class(message: str) -> str:
    """`dagster._core.definitions.events.Failure: the data root ...` -> `the data root ...`."""
    head, colon, rest = message.partition(": ")
    return rest if colon and " " not in head and "." in head else message
