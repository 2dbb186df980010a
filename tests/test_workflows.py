"""The GitHub workflows: actionlint-clean, pinned, least privilege, and calling only what exists.

Every `make TARGET` and `model-factory COMMAND [SUBCOMMAND]` in a workflow's `run:` steps must
be a real Makefile target and a real CLI command, so a rename cannot silently break CI.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer
import yaml

from model_factory.cli import app
from support import PROJECT_ROOT

WORKFLOWS = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def steps(workflow: Path) -> list[dict]:
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    return [step for job in jobs.values() for step in job.get("steps", [])]


def commands(workflow: Path) -> list[list[str]]:
    """Every shell command of the workflow's run steps, split into words."""
    found = []
    for step in steps(workflow):
        for line in step.get("run", "").splitlines():
            for part in re.split(r"&&|\|\||;|\||>>?", line):
                if words := shlex.split(part, comments=True):
                    found.append(words)
    return found


def test_the_three_workflows_exist_and_actionlint_passes():
    assert [w.name for w in WORKFLOWS] == ["ci.yml", "release.yml", "train.yml"]
    actionlint = Path(sys.executable).parent / "actionlint"
    done = subprocess.run(
        [str(actionlint), *map(str, WORKFLOWS)], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_actions_are_pinned_and_permissions_are_least(workflow):
    raw = yaml.safe_load(workflow.read_text())
    assert raw["permissions"] == {"contents": "read"}  # jobs ask for more only where needed
    for job in raw["jobs"].values():
        assert set(job.get("permissions", {}).values()) <= {"read", "write", "none"}
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{step['uses']} is not pinned to a commit"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_workflows_call_only_existing_make_targets_and_commands(workflow):
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    cli = typer.main.get_command(app)
    called = 0
    for words in commands(workflow):
        program = Path(words[0]).name
        if program == "make":
            called += 1
            wanted = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
            assert set(wanted) <= targets, f"{workflow.name}: make {wanted}"
        elif program == "model-factory":
            called += 1
            group: click.Command = cli
            for word in words[1:]:
                if not isinstance(group, click.Group) or word.startswith("-"):
                    break
                assert word in group.commands, f"{workflow.name}: model-factory ... {word}"
                group = group.commands[word]
            assert not isinstance(group, click.Group), f"{workflow.name}: incomplete {words}"
    assert called, f"{workflow.name} calls neither make nor model-factory"
