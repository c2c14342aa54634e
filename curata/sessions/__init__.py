"""The generation app's session folders: their inventory, validation, day partitions and training log."""

from curata.kinds import InputFolder

SESSIONS = InputFolder("sessions", "session folders of the generation app, plus its `training-log.jsonl`")
