"""The images `make image` built, run: the CLI, a compiled KFP task, a taxi detection and the
forecast service inside them, as user 10001, with the virtualenv mounted read-only.

buildah runs the commands (no Docker daemon; chroot isolation shares the host's network, so a
server inside answers on 127.0.0.1). `make image-check` runs this module after `make image`;
anywhere else it is skipped, saying so.
"""

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest
import yaml

from support import PROJECT_ROOT, TINY_FORECAST, run_main, train_into_production

RUNTIME = "localhost/model-factory:dev"
SERVE = "localhost/model-factory-serve:dev"
APP_USER = "10001:10001"
# The serve image is the service's dependencies only: at most this share of the runtime image.
SERVE_BUDGET = 0.60

pytestmark = [
    pytest.mark.image,
    pytest.mark.skipif(
        os.environ.get("MODEL_FACTORY_IMAGE_CHECK") != "1",
        reason="runs inside the built images: `make image-check` (after `make image`)",
    ),
]


@dataclass
class Container:
    """A working container of an image; `root` is its filesystem as the host sees it."""

    name: str
    root: Path

    def command(self, *command: str, env: dict | None = None, volumes=()) -> list[str]:
        # The virtualenv read-only: nothing may be installed or written into it at run time.
        volumes = [f"{self.root}/opt/venv:/opt/venv:ro", *volumes]
        args = ["buildah", "run", "--isolation", "chroot", "--user", APP_USER]
        args += [f"--env={key}={value}" for key, value in (env or {}).items()]
        args += [f"--volume={volume}" for volume in volumes]
        return [*args, self.name, "--", *command]

    def run(self, *command: str, env=None, volumes=()) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(*command, env=env, volumes=volumes),
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    def python(self, code: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run("python", "-c", code, **kwargs)


def _buildah(*args: str) -> str:
    done = subprocess.run(["buildah", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"buildah {' '.join(args)}: {done.stderr.strip()}"
    return done.stdout.strip()


def _container(image: str) -> Iterator[Container]:
    made = subprocess.run(
        ["buildah", "from", "--pull-never", image], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        pytest.fail(f"no image {image} here: build it with `make image`", pytrace=False)
    name = made.stdout.strip()
    try:
        yield Container(name, Path(_buildah("mount", name)))
    finally:
        _buildah("rm", name)


@pytest.fixture(scope="module")
def runtime() -> Iterator[Container]:
    yield from _container(RUNTIME)


@pytest.fixture(scope="module")
def serve() -> Iterator[Container]:
    yield from _container(SERVE)


def _size(image: str) -> float:
    """Bytes, from buildah's three-digit figure ("1.21 GB": decimal units)."""
    (found,) = json.loads(_buildah("images", "--json", image))
    number, unit = found["size"].split()
    return float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]


PROBE = """
import importlib.util, json, os, shutil
print(json.dumps({
    "user": [os.getuid(), os.getgid()],
    "commit": os.environ.get("GIT_COMMIT"),
    "tools": [t for t in ("gcc", "cc", "c++", "make", "uv", "uvx") if shutil.which(t)],
    "uv_module": importlib.util.find_spec("uv") is not None,
}))
"""


@pytest.mark.parametrize("image", ["runtime", "serve"])
def test_runs_as_the_app_user_without_build_tools_and_records_its_commit(image, request):
    container = request.getfixturevalue(image)
    done = container.python(PROBE)
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["user"] == [10001, 10001]
    assert probe["tools"] == [] and not probe["uv_module"]
    # `make image-check` builds the images first: from this checkout's commit.
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert probe["commit"] == head


def test_the_serve_image_stays_within_its_budget():
    runtime, serve = _size(RUNTIME), _size(SERVE)
    print(f"\nimage sizes: runtime {runtime / 1e9:.2f} GB, serve {serve / 1e9:.2f} GB")
    assert serve <= SERVE_BUDGET * runtime, f"serve {serve:.3g} B > 60% of runtime {runtime:.3g} B"


def test_the_runtime_cli_and_what_pipelines_import(runtime):
    done = runtime.run("model-factory", "--help")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "detect" in done.stdout and "compile" in done.stdout
    imports = (
        "import zenml, kfp, prophet, sklearn, imblearn, numba, psycopg2\n"
        "from zenml.integrations.gcp.flavors import GCPArtifactStoreFlavor\n"
        "print(GCPArtifactStoreFlavor().implementation_class.__name__)\n"
    )
    done = runtime.python(imports)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == "GCPArtifactStore"


def test_a_compiled_component_runs_as_the_kfp_launcher_runs_it(runtime, tmp_path):
    """bank_training's `ingest` task: the compiled command and args, `{{$}}` replaced by an
    executor input, its gs:// output read and written under /gcs (the launcher's bucket mount)."""
    from model_factory.bank.config import BankTrainingConfig

    code, _, err = run_main("compile", "--out", str(tmp_path / "kfp"), "--image", RUNTIME)
    assert code == 0, err
    spec = next(yaml.safe_load_all((tmp_path / "kfp/bank_training.yaml").read_text()))
    task = spec["deploymentSpec"]["executors"]["exec-ingest"]["container"]
    assert task["image"] == RUNTIME
    executor_input = {
        "inputs": {"parameterValues": {"config_json": BankTrainingConfig().model_dump_json()}},
        "outputs": {
            "artifacts": {
                "raw_data": {
                    "artifacts": [
                        {
                            "name": "raw_data",
                            "type": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"},
                            "uri": "gs://pipeline-root/run-1/ingest/raw_data",
                            "metadata": {},
                        }
                    ]
                }
            },
            "outputFile": "/tmp/kfp_outputs/output_metadata.json",
        },
    }
    args = [json.dumps(executor_input) if arg == "{{$}}" else arg for arg in task["args"]]
    gcs, outputs = tmp_path / "gcs", tmp_path / "kfp_outputs"
    for folder in (gcs, outputs):
        folder.mkdir()
        folder.chmod(0o777)  # written by user 10001
    done = runtime.run(
        *task["command"], *args, volumes=[f"{gcs}:/gcs", f"{outputs}:/tmp/kfp_outputs"]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    written = pd.read_parquet(gcs / "pipeline-root/run-1/ingest/raw_data")
    assert len(written) == 4521 and "y" in written.columns
    metadata = json.loads((outputs / "output_metadata.json").read_text())
    (artifact,) = metadata["artifacts"]["raw_data"]["artifacts"]
    assert artifact["metadata"]["rows"] == 4521


CLUSTER = """
import json, time
import numpy as np
from model_factory.taxi import dbscan
from model_factory.taxi.model import cluster
points = np.random.default_rng(1).normal(size=(100_000, 2))
start = time.perf_counter()
labels = cluster(points, 0.05, 20)
seconds = time.perf_counter() - start
kernels = [k for k in vars(dbscan).values() if hasattr(k, "stats")]
print(json.dumps({
    "clusters": int(labels.max()), "seconds": seconds,
    "hits": sum(sum(k.stats.cache_hits.values()) for k in kernels),
    "misses": sum(sum(k.stats.cache_misses.values()) for k in kernels),
}))
"""


def _cache_entries(container: Container) -> dict[str, tuple[int, int]]:
    cache = container.root / "opt/numba-cache"
    return {str(p.relative_to(cache)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in cache.rglob("*") if p.is_file()}  # fmt: skip


def test_taxi_detection_loads_the_dbscan_kernels_compiled_at_build_time(runtime):
    built = _cache_entries(runtime)
    assert any(name.endswith(".nbc") for name in built), "the build compiled no DBSCAN kernel"

    done = runtime.python(CLUSTER)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\nfirst clustering of 100k points in the runtime image: {result['seconds']:.2f} s")
    assert result["clusters"] > 0
    assert result["misses"] == 0 and result["hits"] > 0, result

    # The whole command: a day of rides labelled into its SQLite sink, as user 10001.
    done = runtime.run(
        "model-factory", "detect", "taxi", "--run-date", "2024-06-01", "--rides", "20000"
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "taxi" in done.stdout
    assert _cache_entries(runtime) == built, "a kernel was compiled (and cached) at run time"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_leaves_out_what_only_pipelines_need_and_imports_the_service(serve):
    left_out = ["kfp", "kubernetes", "numba", "llvmlite", "imblearn", "psycopg2"]
    code = (
        "import importlib, importlib.util, json, pkgutil\n"
        "import model_factory.serving\n"
        "serving = model_factory.serving\n"
        "for m in pkgutil.walk_packages(serving.__path__, 'model_factory.serving.'):\n"
        "    importlib.import_module(m.name)\n"
        "import model_factory.integrations.forecast_materializer, zenml.client\n"
        f"print(json.dumps([n for n in {left_out!r} if importlib.util.find_spec(n)]))\n"
    )
    done = serve.python(code)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    for module in ("kfp", "numba", "imblearn", "psycopg2"):
        failed = serve.python(f"import {module}")
        assert failed.returncode != 0 and "ModuleNotFoundError" in failed.stderr, module


def test_the_service_answers_from_a_model_version_in_a_store(serve, scratch, tmp_path):
    """A tiny forecaster trained on the host into this process's ZenML store; the store folder
    mounted at the same path, so the paths ZenML recorded hold inside the container too."""
    from model_factory.forecasting import synthetic
    from model_factory.forecasting.config import SyntheticConfig

    history, config = tmp_path / "history.csv", tmp_path / "train.yaml"
    synthetic.generate(SyntheticConfig(n_stores=2, n_days=400, seed=4))[0].to_csv(history)
    config.write_text(yaml.safe_dump({"parameters": {"config": TINY_FORECAST}}))
    model = "store_sales_forecaster"
    train_into_production(
        model, tmp_path, "forecasting", "--data", str(history), "--config", str(config)
    )
    for path in [scratch, *scratch.rglob("*")]:  # the service (user 10001) opens it read-write
        path.chmod(path.stat().st_mode | 0o777 if path.is_dir() else 0o666)

    port, key = _free_port(), "image-check-key"
    env = {
        "ZENML_CONFIG_PATH": os.environ["ZENML_CONFIG_PATH"],
        "ZENML_REPOSITORY_PATH": os.environ["ZENML_REPOSITORY_PATH"],
        "MODEL_FACTORY_API_KEY": key,
        "MODEL_FACTORY_SERVE_MODEL_NAME": model,
    }
    command = serve.command(
        "model-factory", "serve", "--host", "127.0.0.1", "--port", str(port),
        env=env, volumes=[f"{scratch}:{scratch}"],
    )  # fmt: skip
    url, log = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"never ready: {log.read_text()[-3000:]}"
            time.sleep(1)
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        answer = httpx.post(
            f"{url}/forecast", json=[{"store_id": 1}], headers={"X-API-Key": key}, timeout=60
        )
        assert answer.status_code == 200, answer.text
        (forecast,) = answer.json()["forecasts"]
        assert forecast["store_id"] == 1 and len(forecast["days"]) == 7
        assert all(day["lower"] <= day["forecast"] <= day["upper"] for day in forecast["days"])
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
