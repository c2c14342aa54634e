"""A user's own training command, run on a published export: its output streamed, its exit code kept.

The command is split like a shell line (shlex, no shell): `{export_path}` in it becomes the version's
path, which the command also finds in the environment as CURATA_EXPORT_PATH.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

EXPORT_PATH_ENV = "CURATA_EXPORT_PATH"
COMMAND_NOT_RUN = 127
LOG_TAIL_LINES = 200  # kept in the run's metadata; every line also goes to the run's log as it comes


@dataclass(frozen=True)
class TrainingOutcome:
    argv: list[str]
    exit_code: int
    log_tail: str  # the last LOG_TAIL_LINES lines of stdout and stderr together


def run_training(command: str, export_path: str, log: Callable[[str], None]) -> TrainingOutcome:
    """Runs `command` to the end, each output line passed to `log`."""
    argv = [part.replace("{export_path}", export_path) for part in shlex.split(command)]
    env = {**os.environ, EXPORT_PATH_ENV: export_path}
    tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
    try:
        process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
    except OSError as exc:  # not found or not executable: the shell's own exit code for it
        log(str(exc))
        return TrainingOutcome(argv, COMMAND_NOT_RUN, str(exc))
    with process:
        for line in process.stdout or ():
            tail.append(line.rstrip("\n"))
            log(tail[-1])
    return TrainingOutcome(argv, process.returncode, "\n".join(tail))
