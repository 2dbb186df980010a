"""The forecast service's image (root Dockerfile, target `serve`), checked without a Docker engine.

hadolint covers the whole Dockerfile (tests/infra/test_image.py). Here: the serve stage agrees with
the Kubernetes manifests (user, port, health path), it installs the project's dependencies without
the `pipelines` group, and none of them pulls in what only pipelines need (read from uv.lock); its
`uv sync` line, replayed into a fresh virtualenv, gives an environment that imports the service
and forecasts from a saved model.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib

import pytest

from model_factory.integrations import k8s_deploy
from support import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
# What a package that needs this much would break in the slim image: the service itself.
SERVING_CHECK = """
import importlib, importlib.util, json, pkgutil, sys
import model_factory.serving
for module in pkgutil.walk_packages(model_factory.serving.__path__, "model_factory.serving."):
    importlib.import_module(module.name)
import cachetools, fastapi, prometheus_client, uvicorn, zenml.client
import model_factory.integrations.forecast_materializer
from model_factory.forecasting.forecaster import StoreForecaster
files = json.load(open(sys.argv[1]))
forecaster = StoreForecaster.from_files(files.__getitem__)
forecast = forecaster.predict(forecaster.stores[0], horizon_days=14)
left_out = [name for name in sys.argv[2:] if importlib.util.find_spec(name) is not None]
print(json.dumps({"rows": len(forecast), "left_out_but_present": left_out}))
"""


def _stages() -> dict[str, list[tuple[str, str]]]:
    """Stage name -> (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []  # before the first FROM: global ARGs
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction == "FROM":
            current = stages.setdefault(arguments.split()[-1], [])
        current.append((instruction, arguments))
    return stages


def _pod_and_container() -> tuple[dict, dict]:
    deployment = next(o for o in k8s_deploy.render("dev") if o["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    return pod, pod["containers"][0]


def test_the_serve_stage_agrees_with_the_manifests():
    serve = _stages()["serve"]
    assert serve[0] == ("FROM", "base AS serve"), "not FROM runtime: no pipeline venv below it"
    copies = [args for instruction, args in serve if instruction == "COPY"]
    assert copies == ["--from=build-serve /opt/venv /opt/venv"]
    assert [args for instruction, args in serve if instruction == "USER"] == ["10001:10001"]
    assert "--uid 10001" in " ".join(args for instruction, args in serve if instruction == "RUN")

    pod, container = _pod_and_container()
    assert pod["securityContext"]["runAsUser"] == 10001
    port = container["ports"][0]["containerPort"]
    assert [args for instruction, args in serve if instruction == "EXPOSE"] == [str(port)]
    (healthcheck,) = [args for instruction, args in serve if instruction == "HEALTHCHECK"]
    assert f"http://127.0.0.1:{port}/healthz" in healthcheck
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    (command,) = [json.loads(args) for instruction, args in serve if instruction == "CMD"]
    assert command == container["command"]


def test_the_service_gets_the_projects_dependencies_and_none_only_pipelines_need():
    """build-serve installs the project's own dependencies, no group: nothing they pull in may
    be what only pipelines need (uv.lock's graph), and the runtime adds exactly that group."""
    (run,) = [args for instruction, args in _stages()["build-serve"] if instruction == "RUN"]
    sync = shlex.split(run.split("&&")[1])
    assert sync[:2] == ["uv", "sync"] and "--no-default-groups" in sync
    assert not {"--group", "--all-groups", "--dev", "--extra", "--all-extras"} & set(sync)

    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    packages = {package["name"]: package for package in lock["package"]}
    project = packages["model-factory"]

    def needs(name: str, extras: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        package = packages[name]
        deps = list(package.get("dependencies", []))
        for extra in extras:
            deps += package.get("optional-dependencies", {}).get(extra, [])
        return [(dep["name"], tuple(dep.get("extra", []))) for dep in deps]

    served, todo = set(), needs("model-factory", ())
    while todo:
        name, extras = todo.pop()
        if (name, extras) not in served:
            served.add((name, extras))
            todo += needs(name, extras)
    served_names = {name for name, _ in served}
    pipelines_only = {dep["name"] for dep in project["dev-dependencies"]["pipelines"]}
    assert {"kfp", "kubernetes", "numba", "imbalanced-learn", "psycopg2-binary"} <= pipelines_only
    assert not served_names & (pipelines_only | {"llvmlite", "kfp-pipeline-spec", "threadpoolctl"})
    assert {"zenml", "prophet", "fastapi", "uvicorn", "pandas", "gcsfs"} <= served_names


@pytest.mark.slow
def test_the_serve_environment_imports_the_service_and_forecasts(tmp_path):
    """Replay the build stage's COPY lines and build-serve's `uv sync` line, then use the env."""
    from model_factory.forecasting import data, synthetic, train
    from model_factory.forecasting.config import ForecastTrainingConfig, SyntheticConfig
    from model_factory.forecasting.forecaster import StoreForecaster

    context, venv = tmp_path / "src", tmp_path / "venv"
    context.mkdir()
    for instruction, arguments in _stages()["build"]:
        if instruction == "COPY":
            *sources, _ = shlex.split(arguments)
            for source in sources:
                copy = shutil.copytree if (PROJECT_ROOT / source).is_dir() else shutil.copy2
                (context / source).parent.mkdir(parents=True, exist_ok=True)
                copy(PROJECT_ROOT / source, context / source)
    (run,) = [args for instruction, args in _stages()["build-serve"] if instruction == "RUN"]
    sync = shlex.split(run.split("&&")[1])
    uv = shutil.which("uv") or str(PROJECT_ROOT / ".tools/bin/uv")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [uv, *sync[1:], "--python", sys.executable], cwd=context, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]

    # A one-store Prophet model, saved the way the model artifact stores it.
    config = ForecastTrainingConfig(
        holdout_days=28, validation_days=28, min_train_days=180, n_jobs=1,
        prophet={"uncertainty_samples": 100, "yearly_fourier_order": 2},
    )  # fmt: skip
    raw, _ = synthetic.generate(SyntheticConfig(n_stores=1, n_days=400, seed=3))
    sales = data.validate(raw, config)
    model = train.fit_store_model(sales, "prophet_additive", sales["Date"].max(), config, {})
    files = tmp_path / "forecaster.json"
    files.write_text(json.dumps(StoreForecaster({model.store: model}, 0, 0.95).to_files()))

    modules = ["kfp", "kubernetes", "numba", "llvmlite", "imblearn", "psycopg2", "sklearn", "scipy"]
    run_env = {**env, "ZENML_CONFIG_PATH": str(tmp_path / "zenml"), "HOME": str(tmp_path)}
    checked = subprocess.run(
        [str(venv / "bin/python"), "-c", SERVING_CHECK, str(files), *modules],
        cwd=tmp_path, env=run_env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr[-3000:]
    result = json.loads(checked.stdout.strip().splitlines()[-1])
    assert result == {"rows": 14, "left_out_but_present": []}
    cli = subprocess.run(
        [str(venv / "bin/model-factory"), "--help"], cwd=tmp_path, env=run_env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr[-2000:]
