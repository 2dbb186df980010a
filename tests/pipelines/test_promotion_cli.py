"""`model-factory promote | models | rollback` as a user types them: output and exit codes.

The versions are registered directly on this process's ZenML store; the policies come from a
promotion.yaml in a temporary config folder. The commands run through the CLI's entry point in
this process (`cli_in_process`); one runs in a new interpreter, as a user types it.
"""

import json
import uuid

import pytest
import yaml
from zenml import log_metadata
from zenml.client import Client

from model_factory.integrations import zenml_stages
from model_factory.promotion import POLICY_FILE, policy_for
from support import run_cli

HOLDOUT = {"kind": "hash", "key_columns": ["ride_id"], "salt": 0, "test_fraction": 0.2}


@pytest.fixture
def cli(cli_in_process):
    return cli_in_process


@pytest.fixture
def model(tmp_path, monkeypatch) -> str:
    """A fresh model with a taxi-like policy (F1, maximize, margin 0.01, floor 0.5)."""
    name = f"cli-model-{uuid.uuid4().hex[:8]}"
    Client().create_model(name)
    policy = {"metric": "f1", "direction": "maximize", "margin": 0.01, "floor": 0.5}
    (tmp_path / POLICY_FILE).write_text(yaml.safe_dump({name: policy}))
    monkeypatch.setenv("MODEL_FACTORY_CONFIG_DIR", str(tmp_path))
    return name


def add(model: str, **metrics: float) -> str:
    version = Client().create_model_version(model)
    log_metadata(
        metadata={"metrics": metrics, "holdout": HOLDOUT, "data_fingerprint": "f" * 16},
        model_version_id=version.id,
    )
    return version.name


def test_promote_prints_the_decision_and_exits_by_outcome(cli, model):
    add(model, f1=0.70)
    done = cli("promote", model, "--to", "staging")
    assert done.returncode == 0, done.stderr
    assert f"{model} version 1 -> staging (promote): promoted" in done.stdout
    assert "candidate 0.7000, no incumbent" in done.stdout

    add(model, f1=0.705)  # within the margin
    done = cli("promote", model, "--to", "staging")
    assert done.returncode == 3, done.stderr
    assert "rejected" in done.stdout and "incumbent version 1 0.7000 (reuse)" in done.stdout
    assert done.stderr.startswith("rejected: f1 0.7050 vs incumbent 0.7000")

    done = cli("promote", model, "--to", "staging", "--version", "1")
    assert done.returncode == 0 and "no-op" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "production"], "no staging holder to promote to production"),
        (["--to", "live"], "Invalid value for '--to'"),
    ],
)
def test_bad_promotions_exit_2(cli, model, args, message):
    """The other bad-input cases raise the same InputError; test_promotion_stages covers them."""
    add(model, f1=0.7)
    done = cli("promote", model, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_missing_metric_and_unknown_model_exit_2(cli, model, tmp_path):
    add(model, roc_auc=0.9)
    done = cli("promote", model, "--to", "staging")
    assert done.returncode == 2
    assert done.stderr == f"error: {model} version 1 has no finite metric 'f1' (recorded: None)\n"
    done = run_cli("promote", "no_such_model", "--to", "staging")  # a new interpreter
    assert (
        done.returncode == 2
        and done.stderr == "error: unknown model 'no_such_model' (see `model-factory models`)\n"
    )
    done = cli("rollback", model)
    assert done.returncode == 2 and "no version holds production" in done.stderr
    # Only a use case's own model may have no versions yet (test_workflows: `models taxi`).
    done = cli("models", "no_such_model", "--json")
    assert done.returncode == 2 and "unknown model 'no_such_model'" in done.stderr


def test_models_lists_versions_and_rollback_restores_production(cli, model, tmp_path):
    policy = policy_for(model, tmp_path / POLICY_FILE)
    add(model, f1=0.70)
    add(model, f1=0.80)
    for version in ("1", "2"):
        for stage in ("staging", "production"):
            assert zenml_stages.promote(model, stage, policy, version).decision == "promoted"
    done = cli("rollback", model)
    assert done.returncode == 0, done.stderr
    assert f"{model} version 1 -> production (rollback): promoted" in done.stdout
    assert "archived: version 2" in done.stdout

    done = cli("models", model, "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["version"]: row for row in json.loads(done.stdout)}
    assert (rows["1"]["stage"], rows["2"]["stage"]) == ("production", "archived")
    assert rows["2"]["metrics"] == {"f1": 0.8}
    assert rows["1"]["last_decision"]["action"] == "rollback"

    table = cli("models", model)
    assert table.returncode == 0, table.stderr
    for text in (model, "production", "archived", "0.7000", "0.8000", "rolled back"):
        assert text in table.stdout
