"""train.yml, then release.yml, run step by step as GitHub runs them, on real local parts.

Every `run:` step runs as written, in order, with `bash --noprofile --norc -e -o pipefail` (what
GitHub uses for `shell: bash`), in a checkout of the working tree (a copy, `.venv` linked), with
the workflow's and job's `env:`, `${{ ... }}` replaced from the explicit table below, `if:`
conditions evaluated, and `$GITHUB_OUTPUT`, `$GITHUB_ENV` and `$GITHUB_STEP_SUMMARY` as files
that feed later steps as on a runner. The project's own commands are real: `model-factory`
trains, promotes, exports and deploys against ZenML's own server (tests/zenml_server.py) through
ZENML_STORE_URL and a service account's API key, on data in S3 (moto, as MinIO).

What only exists on GitHub or Google Cloud is replaced, each by name (`ACTIONS`, `SHIMS`):
- `uses:` actions: checkout is the copy; setup-python is the synced `.venv`; google auth hands out
  no credentials; setup-gcloud puts the shims first on PATH; get-gke-credentials writes the
  kubeconfig it would (context gke_PROJECT_LOCATION_CLUSTER, the `gke-gcloud-auth-plugin` exec
  user) for the Kubernetes emulator (tests/kube_emulator.py); docker login, image build and push
  and the artifact upload are skipped (no Docker daemon; the images have `make image-check`);
- `docker` answers `buildx imagetools inspect` with a digest of the image name, `kubectl` takes
  the KFP port-forward (KFP_HOST is the fake KFP server, tests/fake_kfp_server.py), and
  `gke-gcloud-auth-plugin` hands the deploy a token; each records its arguments;
- the team's ZenML stack is the server's default stack (local orchestrator); in the checkout, the
  monitors' `reference_uri`s point at the S3 bucket instead of the team's GCS bucket, and the
  Kubeflow training configs run one process per model, the bank search at the suite's small size
  (support.py).
A `uses:` or `run:` step this module does not know fails the test: a workflow edited without
keeping it runnable here fails the suite.
"""

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml
from fake_kfp_server import FakeKfp, Server
from kube_emulator import Controller, fake_cluster

from model_factory.integrations import k8s_deploy
from support import PROJECT_ROOT, TINY_BANK

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
PROJECT = "model-factory-ci"  # the Google Cloud project the auth step's identity belongs to
SHA = "5f0c6e1d2b3a49788a6b5c4d3e2f1a0b9c8d7e6f"
REGISTRY = "europe-west1-docker.pkg.dev/model-factory-ci/model-factory"
KFP_TOKEN = "kfp-release-token"
SERVE_API_KEY = "local-forecast-key"
MODELS = {
    "bank": "bank_marketing_classifier",
    "forecasting": "store_sales_forecaster",
    "taxi": "taxi_anomaly_detector",
}

# The `run:` steps of each workflow, by name: each runs as written. A new one fails the test
# until it is added here (and runs here).
RUN_STEPS = {
    "train.yml": [
        "Registry host",
        "Training data locations (repository variables)",
        "Environment from uv.lock",
        "Use the team's ZenML stack",
        "Train the bank classifier, promote to staging if it wins",
        "Train the store forecaster, promote to staging if it wins",
        "Taxi detection (fits and registers a detector while none is in production)",
        "Metrics and promotion decisions in the job summary",
    ],
    "release.yml": [
        "Environment from uv.lock",
        "Promote each staging holder that still beats production",
        "Export each new production reference to where the Kubeflow monitors read it",
        "Registry host",
        "The service image of this commit, pinned by digest (prod refuses tags)",
        "Deploy the forecast service (it serves the production stage)",
        "Compile the Kubeflow pipelines for the released image and the cluster's pipeline root",
        "Reach the private KFP API (port-forward for the rest of the job)",
        "Upload the promoted models' pipelines as new versions and move their recurring runs",
    ],
}

SHIMS = {
    # setup-gcloud's tools: nothing here reaches Google Cloud.
    "gcloud": 'echo "gcloud is not reachable from the local workflow run: $*" >&2; exit 1',
    # What kubectl's and the Python client's exec auth call (get-gke-credentials'
    # `use_auth_provider`): a token for the emulator, which checks none.
    "gke-gcloud-auth-plugin": (
        'echo \'{"apiVersion": "client.authentication.k8s.io/v1beta1", '
        '"kind": "ExecCredential", "status": {"token": "local-gke-token"}}\''
    ),
    # The release's port-forward to the private KFP API: KFP_HOST is the fake server already.
    # Anything else (the deploy's offline `kubectl kustomize`) is the real kubectl's.
    "kubectl": '[ "$1 $2 $3" = "-n kubeflow port-forward" ] || exec "{kubectl}" "$@"',
    # The pushed service image's digest (no registry here): a digest of the reference.
    "docker": (
        '[ "$1 $2 $3" = "buildx imagetools inspect" ] || { echo "docker: $*" >&2; exit 1; }\n'
        'printf \'"sha256:%s"\\n\' "$(printf %s "$4" | sha256sum | cut -c1-64)"'
    ),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Runner:
    """Runs the jobs of a workflow one step at a time, as a GitHub runner would."""

    def __init__(self, workspace: Path, folder: Path, env: dict, variables: dict, secrets: dict,
                 replaced: dict):  # fmt: skip
        self.workspace, self.folder = workspace, folder
        self.base_env, self.vars, self.secrets = env, variables, secrets
        self.replaced = replaced  # workflow `env:` values that name a GitHub-side address
        self.summaries: dict[str, str] = {}

    def run(self, workflow: str, event: str) -> None:
        raw = yaml.safe_load((WORKFLOWS / workflow).read_text())
        known_runs = list(RUN_STEPS[workflow])
        ran = []
        for job_name, job in raw["jobs"].items():
            self.outputs: dict[str, dict[str, str]] = {}
            self.env = dict(self.base_env, GITHUB_EVENT_NAME=event, GITHUB_SHA=SHA)
            for scope in (raw.get("env", {}), job.get("env", {})):
                self.env.update({k: self.expand(str(v)) for k, v in scope.items()})
            for name, (written, local) in self.replaced.items():
                if name in self.env:
                    assert self.env[name] == written, f"{workflow}: {name} is {self.env[name]}"
                    self.env[name] = local
            summary = self.folder / f"{workflow}-{job_name}-summary.md"
            summary.touch()
            for index, step in enumerate(job["steps"]):
                label = step.get("name", step.get("uses"))
                if "if" in step and not self.condition(step["if"]):
                    continue
                files = {n: self.folder / f"{workflow}-{job_name}-{index}-{n}" for n in ("o", "e")}
                for file in files.values():
                    file.touch()
                env = dict(self.env, GITHUB_OUTPUT=str(files["o"]), GITHUB_ENV=str(files["e"]),
                           GITHUB_STEP_SUMMARY=str(summary))  # fmt: skip
                env.update({k: self.expand(str(v)) for k, v in step.get("env", {}).items()})
                if "uses" in step:
                    action = step["uses"].split("@")[0]
                    assert action in ACTIONS, f"{workflow}: no local equivalent of {action}"
                    given = {k: self.expand(str(v)) for k, v in step.get("with", {}).items()}
                    ACTIONS[action](self, given, files)
                else:
                    assert label in known_runs, f"{workflow}: unknown run step {label!r}"
                    ran.append(label)
                    self.shell(label, self.expand(step["run"]), env)
                outputs = self.outputs.setdefault(step.get("id", f"#{index}"), {})
                outputs.update(_key_values(files["o"]))
                self.env.update(_key_values(files["e"]))
            self.summaries[job_name] = summary.read_text()
        assert sorted(ran) == sorted(known_runs), f"{workflow}: steps that did not run"

    def shell(self, label: str, script: str, env: dict) -> None:
        started = time.monotonic()
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
            cwd=self.workspace, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        self.log = [*getattr(self, "log", []), (label, time.monotonic() - started, done)]
        print(f"{time.monotonic() - started:6.1f} s  {label}")  # shown when the test fails
        assert done.returncode == 0, (
            f"{label}: exit {done.returncode}\n{done.stdout[-3000:]}\n" + (done.stderr[-5000:])
        )

    def expand(self, text: str) -> str:
        return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: self.value(m[1]), text)

    def value(self, expression: str) -> str:
        """The local value of a `${{ }}` expression: only the forms the workflows use."""
        if found := re.fullmatch(r"(vars|secrets)\.([A-Z_]+)", expression):
            table = self.vars if found[1] == "vars" else self.secrets
            assert found[2] in table, f"no local value for {expression}"
            return table[found[2]]
        if expression == "github.sha":
            return SHA
        if found := re.fullmatch(r"env\.([A-Z_]+)", expression):
            return self.env[found[1]]
        if found := re.fullmatch(r"steps\.([\w-]+)\.outputs\.(\w+)", expression):
            return self.outputs.get(found[1], {}).get(found[2], "")
        raise AssertionError(f"no local evaluation of ${{{{ {expression} }}}}")

    def condition(self, expression: str) -> bool:
        if expression == "always()":
            return True
        if found := re.fullmatch(r"(steps\.[\w-]+\.outputs\.\w+) != ''", expression):
            return self.value(found[1]) != ""
        raise AssertionError(f"no local evaluation of if: {expression}")


def _key_values(path: Path) -> dict[str, str]:
    """NAME=value lines, as $GITHUB_OUTPUT and $GITHUB_ENV hold them (no multi-line values)."""
    lines = [line for line in path.read_text().splitlines() if line]
    assert all("=" in line and "<<" not in line.split("=")[0] for line in lines), lines
    return dict(line.split("=", 1) for line in lines)


def _gke_credentials(runner: Runner, given: dict, files: dict) -> None:
    """The kubeconfig get-gke-credentials writes (exec user: gke-gcloud-auth-plugin), for the
    emulator's address instead of the cluster's DNS endpoint, exported through $GITHUB_ENV."""
    assert given["use_auth_provider"] == "True" and given["use_dns_based_endpoint"] == "True"
    context = f"gke_{PROJECT}_{given['location']}_{given['cluster_name']}"
    path = runner.folder / f"kubeconfig-{context}"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": runner.cluster_url}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "users": [{"name": context, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "gke-gcloud-auth-plugin", "provideClusterInfo": True,
            "interactiveMode": "IfAvailable",
        }}}],
    }))  # fmt: skip
    with files["e"].open("a") as out:
        out.write(f"KUBECONFIG={path}\n")


def _google_auth(runner: Runner, given: dict, files: dict) -> None:
    """No Workload Identity here: the identity is recorded, the token is a placeholder (used only
    by the skipped docker login)."""
    runner.identities = [*getattr(runner, "identities", []), given["service_account"]]
    with files["o"].open("a") as out:
        out.write("access_token=local-placeholder\n")


def _setup_gcloud(runner: Runner, given: dict, files: dict) -> None:
    assert given["install_components"] == "gke-gcloud-auth-plugin"
    assert runner.env["PATH"].startswith(f"{runner.shims}:")  # the shims come first


def _skipped(runner: Runner, given: dict, files: dict) -> None:
    """Checkout (the workspace is the checkout), setup-python (.venv), docker login and image
    builds (no Docker daemon), artifact upload (the files stay in the workspace)."""


ACTIONS = {
    "actions/checkout": _skipped,
    "actions/setup-python": _skipped,
    "google-github-actions/auth": _google_auth,
    "google-github-actions/setup-gcloud": _setup_gcloud,
    "google-github-actions/get-gke-credentials": _gke_credentials,
    "docker/login-action": _skipped,
    "docker/build-push-action": _skipped,
    "actions/upload-artifact": _skipped,
}


def _checkout(folder: Path) -> Path:
    """The working tree as a checkout would have it (tracked and new files), `.venv` and `.tools`
    linked; modification times kept, so `make env` finds the linked .venv synced."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = PROJECT_ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    for linked in (".venv", ".tools"):
        if (PROJECT_ROOT / linked).exists():
            (folder / linked).symlink_to(PROJECT_ROOT / linked)
    up_to_date = subprocess.run(["make", "-q", "env"], cwd=folder, capture_output=True)
    if up_to_date.returncode != 0:
        pytest.fail("`make env` would sync .venv: run `make env` first", pytrace=False)
    return folder


def _small_searches(workspace: Path) -> None:
    """The checkout's training parameters with the suite's small bank search (support.py) and
    one process per model, in the local run configs the Kubeflow ones take their parameters from
    (`parameters_from`): the settings are kept as shipped, the search sizes are not what this
    test is about."""
    small = {
        "bank_training.yaml": {"search": TINY_BANK["search"]},
        "forecasting_training.yaml": {"n_jobs": 1, "plot_stores": 1},
    }
    for name, parameters in small.items():
        path = workspace / "zenml_config" / name
        raw = yaml.safe_load(path.read_text())
        assert set(parameters) <= set(raw["parameters"]["config"]), name
        raw["parameters"]["config"] |= parameters
        path.write_text(yaml.safe_dump(raw, sort_keys=False))


def _shims(folder: Path) -> Path:
    folder.mkdir()
    record = folder / "calls"
    for name, body in SHIMS.items():
        body = body.replace("{kubectl}", shutil.which("kubectl") or "kubectl")
        (folder / name).write_text(f'#!/bin/bash\necho "{name} $*" >> "{record}"\n{body}\n')
        (folder / name).chmod(0o755)
    return folder


def _write_data(s3) -> tuple[str, str]:
    """The week's data the repository variables point at: the bundled bank CSV, and two
    synthetic stores' sales over the run config's 942 days (its windows need two years)."""
    from model_factory.bank import data
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.forecasting import synthetic
    from model_factory.forecasting.config import SyntheticConfig

    with s3.open("data/week/bank.csv", "w") as out:
        data.load(BankTrainingConfig()).to_csv(out, sep=";", index=False)
    sales, _ = synthetic.generate(SyntheticConfig(n_stores=3, n_days=942, seed=5))
    with s3.open("data/week/sales.csv", "w") as out:
        sales.to_csv(out, index=False)
    return "s3://data/week/bank.csv", "s3://data/week/sales.csv"


def _previous_release(fake: FakeKfp, folder: Path, monitors: dict) -> dict[str, str]:
    """The monitors' recurring runs as an earlier release left them: pipeline version
    `previous`, on their configured crons. Returns recurring run id -> pipeline."""
    from components import PIPELINES
    from model_factory.integrations.kubeflow import submitter
    from model_factory.integrations.kubeflow.compiler import compile_all
    from model_factory.integrations.kubeflow.cron import to_kfp

    wanted = {name: PIPELINES[name] for name in ("bank_monitor", "forecasting_monitor")}
    compile_all(wanted, folder, f"{REGISTRY}/model-factory:previous", PROJECT_ROOT / "zenml_config")
    runs = {}
    for name in wanted:
        done = submitter.submit(
            folder / f"{name}.yaml", name, fake.url, version_name="previous", reuse_version=True,
            experiment=name, cron=to_kfp(monitors[name]["schedule"]),
        )  # fmt: skip
        runs[done.recurring_run_id] = name
    assert len(runs) == len(wanted), runs
    return runs


def _create_secret(server, name: str, **values: str) -> None:
    """A ZenML Secret on the server, as the team creates it once (`zenml secret create`)."""
    response = httpx.post(
        f"{server.url}/api/v1/secrets",
        json={"name": name, "private": False, "values": values},
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=30,
    )
    response.raise_for_status()


def _version(server, model: str, version: str) -> dict:
    """The model version as the server holds it (its REST API, as the admin)."""
    [found] = server.get("models", name=model)["items"]
    items = server.get("model_versions", model=found["id"], name=version)["items"]
    return next(item for item in items if item["name"] == version)


def _serve_from_deployment(cluster, rendered: list[dict], workspace: Path, server, folder: Path):
    """The applied Deployment's container command and environment, run here: its ConfigMap as
    applied, its Secrets as an admin creates them (the local server, a key), on 127.0.0.1."""
    [deployment] = [o for o in rendered if o["kind"] == "Deployment"]
    applied = k8s_deploy.read(cluster.client(), deployment)
    [container] = applied["spec"]["template"]["spec"]["containers"]
    secrets = {
        ("forecast-service-api-key", "api-key"): SERVE_API_KEY,
        ("forecast-service-zenml", "url"): server.url,
        ("forecast-service-zenml", "api-key"): server.api_key,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "MODEL_FACTORY_"))}
    env |= {"ZENML_ANALYTICS_OPT_IN": "false", "PYTHONPATH": str(workspace)}
    for source in container["envFrom"]:
        config_map = next(o for o in rendered if o["kind"] == "ConfigMap"
                          and o["metadata"]["name"] == source["configMapRef"]["name"])  # fmt: skip
        env |= k8s_deploy.read(cluster.client(), config_map)["data"]
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[(ref["name"], ref["key"])]
    # The pod's /tmp/zenml; here the runner's, where the server's default stack (a local artifact
    # store, on the team's stack GCS) keeps the trained model.
    env["ZENML_CONFIG_PATH"] = str(folder / "home" / ".config" / "zenml")
    env["MPLCONFIGDIR"] = str(folder / "serve-matplotlib")
    command = list(container["command"])
    port, metrics_port = _free_port(), _free_port()
    for option, local in (("--host", "127.0.0.1"), ("--port", port),
                          ("--metrics-port", metrics_port)):  # fmt: skip
        command[command.index(option) + 1] = str(local)
    assert command[0] == "model-factory"
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(workspace / ".venv/bin/model-factory"), *command[1:]],
        cwd=workspace, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}", container


def _ready(process, url: str, log: Path, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the service exited: {log.read_text()[-3000:]}"
        try:
            answer = httpx.get(f"{url}/readyz", timeout=5)
            if answer.status_code == 200:
                return answer.json()
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the service was not ready in {timeout} s: {log.read_text()[-3000:]}")


@pytest.mark.slow
def test_train_then_release_as_the_workflows_run_them(zenml_server, s3, tmp_path, monkeypatch):
    started = time.monotonic()
    workspace = _checkout(tmp_path / "checkout")
    bank_uri, sales_uri = _write_data(s3)
    # The deployment's bucket for the monitors' references (the team's is on GCS).
    monitors_file = workspace / "zenml_config" / "kubeflow_monitors.yaml"
    monitors = yaml.safe_load(monitors_file.read_text())
    references = {}
    for monitor in monitors:
        model = Path(monitors[monitor]["reference_uri"]).name
        references[model] = monitors[monitor]["reference_uri"] = f"s3://data/references/{model}"
    monitors_file.write_text(yaml.safe_dump(monitors))
    _small_searches(workspace)
    shims = _shims(tmp_path / "shims")
    home = tmp_path / "home"
    home.mkdir()
    local = ("ZENML_", "MODEL_FACTORY_", "KF_PIPELINES", "KUBECONFIG")  # this process's own
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(local)}
    base_env |= {
        "PATH": f"{shims}:{os.environ['PATH']}",
        "HOME": str(home),  # the runner's: ZenML's client config lands there
        "PYTHONPATH": str(workspace),  # .venv runs the checkout's code, as a synced CI venv does
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_LOGGING_VERBOSITY": "WARN",
        "ZENML_AUTO_OPEN_DASHBOARD": "false",
    }
    monkeypatch.setenv("GIT_COMMIT", SHA)
    with fake_cluster() as cluster, Server(FakeKfp()) as kfp:
        previous = _previous_release(kfp, tmp_path / "previous", monitors)
        variables = {
            "REGISTRY": REGISTRY,
            "ZENML_STORE_URL": zenml_server.url,
            "ZENML_STACK": "default",  # the server's stack: local orchestrator and store
            "BANK_DATA_URI": bank_uri,
            "SALES_DATA_URI": sales_uri,
            "GCP_WORKLOAD_IDENTITY_PROVIDER": "projects/1/locations/global/workloadIdentityPools/"
            "github/providers/github",
            "GCP_TRAIN_SERVICE_ACCOUNT": "train@model-factory-ci.iam.gserviceaccount.com",
            "GCP_RELEASE_SERVICE_ACCOUNT": "release@model-factory-ci.iam.gserviceaccount.com",
            "GKE_CLUSTER": "model-factory",
            "GKE_LOCATION": "europe-west1",
            "KFP_PIPELINE_ROOT": "s3://data/pipeline-root",
        }
        secrets = {
            "ZENML_API_KEY": zenml_server.api_key,
            "STAGING_DB_URL": f"sqlite:///{tmp_path / 'staging.db'}",
            "KF_PIPELINES_TOKEN": KFP_TOKEN,
        }
        _create_secret(
            zenml_server, "model-factory-staging-db", MODEL_FACTORY_DB_URL=secrets["STAGING_DB_URL"]
        )
        # The port-forward's local end is the fake KFP API (the kubectl shim forwards nothing).
        replaced = {"KFP_HOST": ("http://localhost:8080", kfp.url)}
        runner = Runner(workspace, tmp_path, base_env, variables, secrets, replaced)
        runner.shims, runner.cluster_url = shims, cluster.url

        # train.yml, as the Monday schedule runs it (the strictest: its data must be set).
        runner.run("train.yml", "schedule")
        trained = {}
        for use_case in MODELS:  # train.yml writes build/metrics/<use case>.json
            metrics = json.loads((workspace / "build/metrics" / f"{use_case}.json").read_text())
            trained[use_case] = metrics["model_version"]
            stored = _version(zenml_server, MODELS[use_case], metrics["model_version"])
            assert stored["body"]["stage"] == "staging", metrics.get("promotion")
        summary = runner.summaries["train"]
        for use_case, version in trained.items():
            assert f"### {use_case}: version {version}, promoted" in summary, summary
        bank = _version(zenml_server, MODELS["bank"], trained["bank"])
        recorded = zenml_server.get(f"model_versions/{bank['id']}", hydrate=True)
        assert recorded["metadata"]["run_metadata"]["config"]["data_path"] == bank_uri

        # release.yml, dispatched by hand; the deploy's rollout is played by the controller.
        digest = hashlib.sha256(f"{REGISTRY}/model-factory-serve:{SHA}".encode()).hexdigest()
        served_image = f"{REGISTRY}/model-factory-serve@sha256:{digest}"
        rendered = k8s_deploy.render("prod", served_image)
        [deployment] = [o for o in rendered if o["kind"] == "Deployment"]
        with Controller(cluster, k8s_deploy.object_path(deployment)):
            runner.run("release.yml", "workflow_dispatch")

        assert runner.summaries["release"].splitlines()[:3] == [
            f"- {use_case}: in production" for use_case in MODELS
        ]
        for use_case, version in trained.items():
            assert _version(zenml_server, MODELS[use_case], version)["body"]["stage"] == (
                "production"
            )
        for model, uri in references.items():
            version = {MODELS[u]: v for u, v in trained.items()}[model]
            assert s3.cat(f"{uri.removeprefix('s3://')}/version.txt").decode().strip() == version
            assert len(s3.ls(uri.removeprefix("s3://"))) > 1, s3.ls(uri.removeprefix("s3://"))

        # KFP: every promoted model's pipelines uploaded as versions of this release; the
        # earlier release's recurring runs replaced by runs of the new monitor versions.
        uploaded = {
            kfp.pipelines[v["pipeline_id"]]["display_name"]
            for v in kfp.versions.values()
            if v["display_name"] != "previous"
        }
        assert uploaded == {p.stem for p in (workspace / "build/kfp").glob("*.yaml")}
        assert kfp.runs == {} and not set(previous) & set(kfp.recurring_runs)
        moved = {}
        for run in kfp.recurring_runs.values():
            version = kfp.versions[run["pipeline_version_reference"]["pipeline_version_id"]]
            moved[kfp.pipelines[version["pipeline_id"]]["display_name"]] = version
        assert set(moved) == set(previous.values())
        for name, version in moved.items():
            assert version["display_name"] != "previous", name
            spec = version["pipeline_spec"]
            root = spec.get("pipeline_spec", spec).get("defaultPipelineRoot")
            assert root == "s3://data/pipeline-root", (name, root)

        calls = (shims / "calls").read_text().splitlines()
        image = f"{REGISTRY}/model-factory-serve"
        assert f"docker buildx imagetools inspect {image}:{SHA} --format " in "\n".join(calls)
        assert "kubectl -n kubeflow port-forward svc/ml-pipeline-ui 8080:80" in calls
        programs = [call.split()[0] for call in calls]
        assert "gke-gcloud-auth-plugin" in programs  # the deploy's token, as on GKE
        assert "gcloud" not in programs  # no step calls gcloud itself
        assert runner.identities == [
            variables["GCP_TRAIN_SERVICE_ACCOUNT"],
            variables["GCP_TRAIN_SERVICE_ACCOUNT"],
            variables["GCP_RELEASE_SERVICE_ACCOUNT"],
        ]

        # The forecast service as deployed (its command, ConfigMap and Secrets), started here.
        process, url, container = _serve_from_deployment(
            cluster, rendered, workspace, zenml_server, tmp_path
        )
        try:
            assert container["image"] == served_image
            ready = _ready(process, url, tmp_path / "serve.log")
            assert ready["model_version"] == trained["forecasting"]
            served = httpx.get(f"{url}/models", headers={"X-API-Key": SERVE_API_KEY}, timeout=30)
            assert served.status_code == 200, served.text
            assert (served.json()["version"], served.json()["stage"]) == (
                trained["forecasting"],
                "production",
            )
        finally:
            process.terminate()
            process.wait(30)
    assert not list(home.rglob("*.db"))  # every command used the server, none a local store
    print(f"whole test {time.monotonic() - started:.0f} s")
