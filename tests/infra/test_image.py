"""The project image (root Dockerfile), checked without a Docker engine.

hadolint lints the Dockerfile; policy checks read it; and the build stage's own `COPY` and
`uv sync` lines are replayed into a fresh virtualenv, in which a compiled KFP component runs from
outside the source tree, so the image's environment is shown to hold everything a task needs.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def _instructions(stage: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of one stage, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out, current = [], None
    for line in lines:
        if line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction == "FROM":
            current = arguments.split()[-1]
        if current == stage:
            out.append((instruction, arguments))
    return out


def test_hadolint_passes():
    result = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_and_tools_are_pinned_and_nothing_is_piped_to_a_shell():
    text = re.sub(r"^\s*#.*\n", "", DOCKERFILE.read_text(), flags=re.M)
    # The base is an ARG (a local stand-in can replace it) whose default is pinned by digest.
    (default,) = re.findall(r"^ARG BASE_IMAGE=(\S+)$", text, flags=re.M)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", default)
    for base in re.findall(r"^FROM (\S+)", text, flags=re.M):
        assert base in {"${BASE_IMAGE}", "base", "build"}, base
    assert re.search(r"pip install --no-cache-dir uv==\d+\.\d+\.\d+", text)
    assert not re.search(r"(curl|wget)[^\n]*\|\s*(ba)?sh", text)


def test_the_runtime_stage_runs_as_a_non_root_user_with_the_project_config():
    runtime = _instructions("runtime")
    assert runtime[0] == ("FROM", "base AS runtime")
    user = [args for instruction, args in runtime if instruction == "USER"]
    assert user == ["10001:10001"]
    env = " ".join(args for instruction, args in runtime if instruction == "ENV")
    assert "MODEL_FACTORY_CONFIG_DIR=/app/zenml_config" in env and "HOME=/home/app" in env
    assert "PATH=/opt/venv/bin:$PATH" in env
    # numba's cache is keyed by CPU name: the runtime asks for the one the build compiled for,
    # and gets the build's cache folder as the app user's (numba ignores a cache it cannot write).
    build_env = " ".join(
        args for instruction, args in _instructions("build") if instruction == "ENV"
    )
    for setting in ("NUMBA_CPU_NAME=generic", "NUMBA_CACHE_DIR=/opt/numba-cache"):
        assert setting in build_env and setting in env
    copies = [args for instruction, args in runtime if instruction == "COPY"]
    assert "--from=build --chown=10001:10001 /opt/numba-cache /opt/numba-cache" in copies
    assert ("WORKDIR", "/app") in runtime
    assert "--uid 10001" in " ".join(args for instruction, args in runtime if instruction == "RUN")


def test_the_dependencies_are_the_locked_ones_without_dev_tools():
    """The project's dependencies and the `pipelines` group, never the other default groups."""
    syncs = [args for instruction, args in _instructions("build") if "uv sync" in args]
    assert syncs
    for args in syncs:
        options = shlex.split(args.split("&&")[0])
        assert {"--frozen", "--no-default-groups"} <= set(options)
        assert [options[i + 1] for i, o in enumerate(options) if o == "--group"] == ["pipelines"]
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "outputs", ".zen", "build"} <= set(ignored)


@pytest.mark.slow
def test_the_build_stage_gives_an_environment_that_runs_a_compiled_component(tmp_path):
    """Replay the build stage (its COPY and `uv sync` lines) and run a KFP task in the result."""
    context, venv = tmp_path / "src", tmp_path / "venv"
    context.mkdir()
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    uv = shutil.which("uv") or str(PROJECT_ROOT / ".tools/bin/uv")
    for instruction, arguments in _instructions("build"):
        if instruction == "COPY":
            *sources, _ = shlex.split(arguments)
            for source in sources:
                target = context / source
                target.parent.mkdir(parents=True, exist_ok=True)
                copy = shutil.copytree if (PROJECT_ROOT / source).is_dir() else shutil.copy2
                copy(PROJECT_ROOT / source, target)
        elif instruction == "ENV":  # uv's target and interpreter are this test's, above
            pairs = (pair.split("=", 1) for pair in shlex.split(arguments))
            env.update(
                (key, value.replace("/opt/", f"{tmp_path}/"))
                for key, value in pairs
                if not key.startswith("UV_")
            )
        elif instruction == "RUN" and arguments.startswith("uv sync"):
            # Only the sync: slim-venv (test suites out, bytecode in) is checked in the built
            # image by tests/infra/test_image_run.py.
            sync = shlex.split(arguments.split("&&")[0])
            command = [uv, *sync[1:], "--python", sys.executable]
            done = subprocess.run(command, cwd=context, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-2000:]
        elif instruction == "RUN" and arguments.startswith("/opt/venv/"):
            command = [
                str(venv / arguments.split()[0].removeprefix("/opt/venv/")),
                *shlex.split(arguments)[1:],
            ]
            # In the WORKDIR, beside the sources, as the build runs it.
            done = subprocess.run(command, cwd=context, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-2000:]
    python = venv / "bin/python"
    installed = subprocess.run(
        [str(python), "-c", "import pytest"], cwd=tmp_path, capture_output=True, check=False
    )
    assert installed.returncode != 0, "dev tools must not be in the image"

    # One task of the compiled pipeline, run by kfp.local with the image's interpreter, from a
    # folder without the project's sources: the component must find everything installed.
    script = (
        "from kfp import local\n"
        "from components.data import ingest\n"
        "from model_factory.bank.config import BankTrainingConfig\n"
        "local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root='root')\n"
        "task = ingest(config_json=BankTrainingConfig().model_dump_json())\n"
        "print('ROWS', task.outputs['raw_data'].metadata['rows'])\n"
    )
    run_env = {**env, "TMPDIR": str(tmp_path), "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    run_env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(python), "-c", script], cwd=tmp_path, env=run_env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ROWS 4521" in done.stdout

    # The DBSCAN kernels compiled at build time are what a taxi task loads: clustering 100k
    # points in a new process adds no kernel to numba's cache and rewrites no index.
    cache = Path(env["NUMBA_CACHE_DIR"])
    built = {path.name: path.stat().st_mtime_ns for path in cache.rglob("dbscan.*.nb[ic]")}
    assert built, "the build stage compiled no DBSCAN kernel"
    cluster = (
        "import numpy as np; from model_factory.taxi.model import cluster;"
        "X = np.random.default_rng(1).normal(size=(100_000, 2));"
        "print('CLUSTERS', cluster(X, 0.05, 20).max())"
    )
    done = subprocess.run(
        [str(python), "-c", cluster], cwd=tmp_path, env=run_env, capture_output=True, text=True
    )
    assert done.returncode == 0 and "CLUSTERS" in done.stdout, done.stderr[-3000:]
    assert {path.name: path.stat().st_mtime_ns for path in cache.rglob("dbscan.*.nb[ic]")} == built
