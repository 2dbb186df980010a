"""The GitHub workflows: actionlint-clean, pinned, least privilege, and calling only what exists.

Every `make TARGET` and `model-factory COMMAND [SUBCOMMAND] --OPTION` in a workflow's `run:`
steps must be a real Makefile target, CLI command and option, so a rename cannot silently break
CI. The steps that decide something (the scheduled run's data check) are run here as written.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

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
        for line in step.get("run", "").replace("\\\n", " ").splitlines():
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
            group = cli
            for word in words[1:]:
                # typer may bring its own click: a group is what has subcommands
                if not hasattr(group, "commands") or word.startswith("-"):
                    break
                assert word in group.commands, f"{workflow.name}: model-factory ... {word}"
                group = group.commands[word]
            assert not hasattr(group, "commands"), f"{workflow.name}: incomplete {words}"
            known = {opt for param in group.params for opt in param.opts}
            # `${VAR:+--data "$VAR"}` passes an option only when the variable is set.
            given = {o for w in words for o in re.findall(r"(?<![\w-])--[a-z][a-z-]*", w)}
            assert given <= known, f"{workflow.name}: {words[1:3]} has no {given - known}"
    assert called, f"{workflow.name} calls neither make nor model-factory"


def step(workflow: str, name: str) -> dict:
    [found] = [s for s in steps(PROJECT_ROOT / ".github/workflows" / workflow)
               if s.get("name", "").startswith(name)]  # fmt: skip
    return found


def test_train_runs_on_the_kubeflow_stack_in_the_image_it_pushed_on_the_configured_data():
    raw = yaml.safe_load((PROJECT_ROOT / ".github/workflows/train.yml").read_text())
    # The name the Kubeflow run configs read (parent_image: ${MODEL_FACTORY_IMAGE}).
    assert (
        raw["env"]["MODEL_FACTORY_IMAGE"] == "${{ vars.REGISTRY }}/model-factory:${{ github.sha }}"
    )
    assert "IMAGE" not in raw["env"]
    for config in (PROJECT_ROOT / "zenml_config/kubeflow").glob("*_training.yaml"):
        assert "${MODEL_FACTORY_IMAGE}" in config.read_text()
    calls = {
        words[2]: words
        for words in commands(PROJECT_ROOT / ".github/workflows/train.yml")
        if Path(words[0]).name == "model-factory" and words[1] in {"train", "detect"}
    }
    assert set(calls) == {"bank", "forecasting", "taxi"}
    for words in calls.values():
        config = PROJECT_ROOT / words[words.index("--config") + 1]
        assert config.parent.name == "kubeflow" and config.is_file(), words
    assert "${BANK_DATA_URI:+--data" in calls["bank"]
    assert "${SALES_DATA_URI:+--data" in calls["forecasting"]
    assert raw["jobs"]["train"]["env"] == {
        "BANK_DATA_URI": "${{ vars.BANK_DATA_URI }}",
        "SALES_DATA_URI": "${{ vars.SALES_DATA_URI }}",
    }


@pytest.mark.parametrize(
    ("event", "variables", "code", "says"),
    [
        ("schedule", {}, 1, "::error::repository variable(s) BANK_DATA_URI SALES_DATA_URI not set"),
        ("schedule", {"BANK_DATA_URI": "gs://d/bank.csv"}, 1, "(s) SALES_DATA_URI not set"),
        ("schedule", {"BANK_DATA_URI": "gs://d/b", "SALES_DATA_URI": "s3://d/s"}, 0, ""),
        (
            "push",
            {},
            0,
            "::warning:: BANK_DATA_URI SALES_DATA_URI not set: training on the bundled",
        ),
        ("workflow_dispatch", {"SALES_DATA_URI": "s3://d/s"}, 0, "::warning:: BANK_DATA_URI not"),
    ],
)
def test_the_scheduled_training_fails_clearly_without_its_data_locations(
    event, variables, code, says
):
    script = step("train.yml", "Training data locations")["run"]
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATA_URI")}
    # GitHub runs `run:` with `bash -e {0}`; an unset repository variable is an empty string.
    env |= {"BANK_DATA_URI": "", "SALES_DATA_URI": "", **variables, "GITHUB_EVENT_NAME": event}
    done = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == code, done.stdout + done.stderr
    assert says in done.stdout and (says or done.stdout == "")


def test_release_changes_what_depends_on_a_model_only_when_it_was_promoted():
    release = steps(PROJECT_ROOT / ".github/workflows/release.yml")
    names = [s.get("name", s.get("uses", "")) for s in release]
    promote = step("release.yml", "Promote each staging holder")
    assert (
        promote["id"] == "promote"
        and 'echo "models=$promoted" >> "$GITHUB_OUTPUT"' in (promote["run"])
    )
    export = step("release.yml", "Export each new production reference")
    upload = step("release.yml", "Upload the promoted models' pipelines")
    forward = step("release.yml", "Reach the private KFP API")
    for dependent in (export, upload, forward, step("release.yml", "Compile the Kubeflow")):
        assert dependent["if"] == "steps.promote.outputs.models != ''", dependent["name"]
    assert "steps.promote.outputs.models" in export["env"]["PROMOTED"]
    assert "steps.promote.outputs.models" in upload["env"]["PROMOTED"]
    order = [names.index(s["name"]) for s in (promote, export, forward, upload)]
    assert order == sorted(order), "promote, export, reach KFP, upload: in that order"
    assert "model-factory export-reference" in export["run"]
    assert "--update-recurring" in upload["run"] and "--upload-only" not in upload["run"]
    assert "kubectl -n kubeflow port-forward svc/ml-pipeline-ui 8080:80" in forward["run"]
    raw = yaml.safe_load((PROJECT_ROOT / ".github/workflows/release.yml").read_text())
    assert raw["env"]["KFP_HOST"] == "http://localhost:8080"
    assert raw["jobs"]["release"]["environment"] == "production"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_jobs_reach_google_cloud_by_workload_identity_and_only_those_mint_tokens(workflow):
    raw = yaml.safe_load(workflow.read_text())
    for name, job in raw["jobs"].items():
        uses = [s.get("uses", "").split("@")[0] for s in job.get("steps", [])]
        authenticates = "google-github-actions/auth" in uses
        assert (job.get("permissions", {}).get("id-token") == "write") == authenticates, name
        if not authenticates:
            continue
        [auth] = [
            s for s in job["steps"] if s.get("uses", "").startswith("google-github-actions/auth@")
        ]
        assert (
            auth["with"]["workload_identity_provider"]
            == "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}"
        )
        assert "credentials_json" not in auth["with"]  # no stored key
        identity = "RELEASE" if job.get("environment") == "production" else "TRAIN"
        assert auth["with"]["service_account"] == f"${{{{ vars.GCP_{identity}_SERVICE_ACCOUNT }}}}"
        if "google-github-actions/get-gke-credentials" in uses:
            gke = job["steps"][uses.index("google-github-actions/get-gke-credentials")]
            assert gke["with"]["use_auth_provider"] is True  # gke-gcloud-auth-plugin
            assert gke["with"]["use_dns_based_endpoint"] is True  # no authorised address needed
            setup = job["steps"][uses.index("google-github-actions/setup-gcloud")]
            assert setup["with"]["install_components"] == "gke-gcloud-auth-plugin"
            assert uses.index("google-github-actions/setup-gcloud") < uses.index(
                "google-github-actions/get-gke-credentials"
            )
    assert "KUBECONFIG" not in workflow.read_text()  # no static kubeconfig secret


def test_every_variable_and_secret_the_workflows_read_is_documented():
    docs = (PROJECT_ROOT / "docs/continuous-training.md").read_text()
    read = set()
    for workflow in WORKFLOWS:
        read |= set(re.findall(r"\b(?:vars|secrets)\.([A-Z_]+)", workflow.read_text()))
    assert read, "no variable read"
    undocumented = {name for name in read if f"`{name}`" not in docs}
    assert not undocumented, f"docs/continuous-training.md does not list {undocumented}"


def test_release_knows_every_monitor_reference_and_every_compiled_pipeline():
    """A monitor or pipeline added later must not be left on a stale reference or version."""
    from components import PIPELINES
    from model_factory import use_cases
    from model_factory.integrations.kubeflow.monitors import KubeflowMonitors

    export = step("release.yml", "Export each new production reference")["run"]
    for monitor in KubeflowMonitors.model_fields:
        assert f"monitor={monitor} " in export, f"release.yml exports nothing for {monitor}"
    upload = step("release.yml", "Upload the promoted models' pipelines")["run"]
    assert 'build/kfp/"$use_case"_*.yaml' in upload  # a promoted use case's every pipeline
    unreached = [name for name in PIPELINES if name.split("_")[0] not in use_cases.names()]
    assert not unreached, f"release.yml never uploads {unreached}: not named <use case>_<kind>"


@pytest.mark.parametrize("workflow", ["train.yml", "release.yml"])
def test_docker_logs_in_to_the_registry_host(workflow, tmp_path):
    registry = step(workflow, "Registry host")
    assert registry["env"] == {"REGISTRY": "${{ vars.REGISTRY }}"}
    output = tmp_path / "output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output),
           "REGISTRY": "europe-west1-docker.pkg.dev/my-project/model-factory"}  # fmt: skip
    done = subprocess.run(["bash", "-e", "-c", registry["run"]], env=env, capture_output=True)
    assert done.returncode == 0 and output.read_text() == "host=europe-west1-docker.pkg.dev\n"
    login = [s for s in steps(PROJECT_ROOT / ".github/workflows" / workflow)
             if s.get("uses", "").startswith("docker/login-action@")]  # fmt: skip
    assert [s["with"]["registry"] for s in login] == ["${{ steps.registry.outputs.host }}"]


_REGISTRY = """
from zenml import log_metadata
from zenml.client import Client
client = Client()
bank = client.create_model("bank_marketing_classifier")
staged = client.create_model_version(bank.id)
client.update_model_version(bank.id, staged.id, stage="staging")
log_metadata({"metrics": {"roc_auc": 0.8}}, model_version_id=staged.id)
forecaster = client.create_model("store_sales_forecaster")
released = client.create_model_version(forecaster.id)
client.update_model_version(forecaster.id, released.id, stage="production")
"""


@pytest.mark.slow
def test_release_promotes_what_is_in_staging_and_skips_what_is_not(tmp_path):
    """The promote step as written, with the real CLI, on a registry of its own: bank's staging
    holder goes to production; the forecaster's staging went to production at the last release
    and the taxi detector was never trained, so both are nothing to release, not failures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENML_STORE_")}
    env |= {
        "ZENML_CONFIG_PATH": str(tmp_path / "zenml"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    made = subprocess.run([sys.executable, "-c", _REGISTRY], env=env, capture_output=True)
    assert made.returncode == 0, made.stderr.decode()[-3000:]
    script = step("release.yml", "Promote each staging holder")["run"]
    done = subprocess.run(
        ["bash", "-e", "-c", script], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "output").read_text() == "models= bank\n"
    assert (tmp_path / "summary").read_text().splitlines() == [
        "- bank: in production",
        "- forecasting: nothing in staging, production unchanged",
        "- taxi: nothing in staging, production unchanged",
    ]
    assert "bank_marketing_classifier version 1 -> production (promote): promoted" in done.stdout
