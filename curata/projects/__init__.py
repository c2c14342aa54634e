"""Finished projects: every generated stage against the winners kept, as historical preference pairs."""

from curata.kinds import InputFolder

PROJECTS = InputFolder(
    "projects", "finished projects: `<project>/sandbox/<project>/` stages and `<project>/<project>/` winners"
)
