"""Alerts against a real HTTP receiver on 127.0.0.1: what each event sends, and that a receiver
that fails or hangs costs a bounded number of attempts and never fails the command.

Versions are registered directly on this process's ZenML store (no training): the promote and
rollback commands run in-process through the CLI's entry point.
"""

import uuid

import pytest
import yaml
from http_receiver import Receiver
from zenml import log_metadata, pipeline, step
from zenml.client import Client

from model_factory import alerts
from model_factory.drift.compare import Check
from model_factory.drift.report import DriftReport
from model_factory.integrations import zenml_alerts, zenml_drift
from model_factory.promotion import POLICY_FILE
from support import PROJECT_ROOT, assert_refused, run_main

HOLDOUT = {"kind": "hash", "key_columns": ["ride_id"], "salt": 0, "test_fraction": 0.2}


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """Short waits between attempts and per attempt; the count of attempts is the real one."""
    monkeypatch.setattr(alerts, "BACKOFF_S", 0.01)
    monkeypatch.setattr(alerts, "TIMEOUT_S", 0.5)
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)


@pytest.fixture
def receiver(monkeypatch):
    with Receiver() as running:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, running.url)
        yield running


@pytest.fixture
def model(tmp_path, monkeypatch) -> str:
    """A fresh model with a policy (f1, maximize, margin 0.01, floor 0.5)."""
    name = f"alert-model-{uuid.uuid4().hex[:8]}"
    Client().create_model(name)
    policy = {"metric": "f1", "direction": "maximize", "margin": 0.01, "floor": 0.5}
    (tmp_path / POLICY_FILE).write_text(yaml.safe_dump({name: policy}))
    monkeypatch.setenv("MODEL_FACTORY_CONFIG_DIR", str(tmp_path))  # read when a command runs
    return name


def add(model: str, f1: float) -> str:
    version = Client().create_model_version(model)
    log_metadata(
        metadata={"metrics": {"f1": f1}, "holdout": HOLDOUT, "data_fingerprint": "f" * 16},
        model_version_id=version.id,
    )
    return version.name


def test_promotion_decisions_and_rollback_are_posted(receiver, model):
    add(model, 0.70)
    assert run_main("promote", model, "--to", "staging")[0] == 0
    assert run_main("promote", model, "--to", "staging", "--version", "1")[0] == 0  # no-op
    assert run_main("promote", model, "--to", "production")[0] == 0
    add(model, 0.705)  # within the margin
    assert run_main("promote", model, "--to", "staging")[0] == 3
    add(model, 0.80)
    assert run_main("promote", model, "--to", "staging")[0] == 0
    assert run_main("promote", model, "--to", "production")[0] == 0
    code, _, err = run_main("rollback", model)
    assert code == 0, err

    assert receiver.events() == [
        "promoted", "promoted", "rejected", "promoted", "promoted", "rolled_back",
    ]  # fmt: skip
    rejected, rolled_back = receiver.bodies[2], receiver.bodies[5]
    assert rejected["model"] == model and rejected["version"] == "2"
    assert "0.7050 vs incumbent 0.7000" in rejected["reason"]
    assert rejected["text"].startswith(f"Promotion rejected: {model} version 2: staging: f1 0.7050")
    assert rolled_back["version"] == "1"
    assert "rollback: version 1 held production before 3" in rolled_back["reason"]
    fields = rolled_back["blocks"][1]["fields"]
    assert {"type": "mrkdwn", "text": "*Event*\nrolled_back"} in fields
    assert {"type": "mrkdwn", "text": f"*Model*\n{model}"} in fields
    assert rolled_back["run"] is None  # a CLI command, not a pipeline run


def test_a_drift_verdict_is_posted_and_no_drift_is_not(receiver, model):
    add(model, 0.7)
    version = Client().get_model_version(model, "1")
    checks = [
        Check(name="ride_dist", kind="numeric", statistic="psi", value=0.4, threshold=0.2,
              drifted=True),
        Check(name="ride_time", kind="numeric", statistic="psi", value=0.01, threshold=0.2,
              drifted=False),
    ]  # fmt: skip
    report = DriftReport(
        use_case="taxi", model=model, model_version="1", source="batch.csv",
        n_rows=100, reference_rows=100, checks=checks, created="2026-01-01T00:00:00",
    )  # fmt: skip
    zenml_drift.record(report, str(version.id))
    calm = report.model_copy(update={"checks": checks[1:], "created": "2026-01-02T00:00:00"})
    zenml_drift.record(calm, str(version.id))

    assert receiver.events() == ["drift"]
    body = receiver.bodies[0]
    assert (body["model"], body["version"]) == (model, "1")
    assert body["reason"] == "1 check(s) drifted: ride_dist"
    assert body["text"] == f"Drift detected: {model} version 1: 1 check(s) drifted: ride_dist"


def test_a_native_kfp_drift_alert_links_to_the_run_when_the_ui_is_known(receiver, monkeypatch):
    """What a KFP monitor's check sends: the run id, and its KFP UI page when the address is set."""
    checks = [
        Check(name="age", kind="numeric", statistic="psi", value=0.5, threshold=0.2, drifted=True)
    ]
    report = DriftReport(
        use_case="bank", model="bank", model_version="7", source="batch.csv",
        n_rows=10, reference_rows=10, checks=checks, created="2026-01-01T00:00:00",
    )  # fmt: skip
    assert alerts.send_drift(report, "run-1", alerts.kfp_run_url("run-1"))
    monkeypatch.setenv(alerts.KFP_UI_ENV, "https://kfp.example/ ")
    assert alerts.send_drift(report, "run-2", alerts.kfp_run_url("run-2"))
    calm = report.model_copy(update={"checks": [checks[0].model_copy(update={"drifted": False})]})
    assert not alerts.send_drift(calm, "run-3", alerts.kfp_run_url("run-3"))
    assert [(b["run"], b["run_url"]) for b in receiver.bodies] == [
        ("run-1", None),
        ("run-2", "https://kfp.example/#/runs/details/run-2"),
    ]
    assert receiver.bodies[0]["text"].endswith("(run: run-1)")


@step
def broken() -> None:
    raise ValueError("the source table is gone")


@pipeline(enable_cache=False, on_failure=zenml_alerts.failure_hook)
def alert_failing() -> None:
    broken()


def test_a_failing_pipeline_run_is_posted_by_its_failure_hook(receiver):
    """Every pipeline of the project carries the hook; a run that fails posts `run_failed`."""
    from importlib import import_module

    from zenml.pipelines.pipeline_definition import Pipeline

    found = []
    for module in sorted(PROJECT_ROOT.joinpath("pipelines").glob("[a-z]*.py")):
        imported = import_module(f"pipelines.{module.stem}")
        found += [v for v in vars(imported).values() if isinstance(v, Pipeline)]
    hooks = {p.name: p.configuration.failure_hook_source for p in found}
    assert len(hooks) >= 9
    for name, hook in hooks.items():
        assert hook is not None, name
        assert (hook.module, hook.attribute) == (zenml_alerts.__name__, "failure_hook"), name

    with pytest.raises(RuntimeError):
        alert_failing()
    assert receiver.events() == ["run_failed"]
    body = receiver.bodies[0]
    assert body["model"] == "alert_failing" and body["version"] is None
    assert body["reason"] == "step broken failed: ValueError: the source table is gone"
    assert body["run"].startswith("alert_failing-")


@pytest.mark.parametrize("hang", [False, True], ids=["500", "hangs"])
def test_a_failing_receiver_costs_bounded_attempts_and_not_the_command(model, monkeypatch, hang):
    add(model, 0.70)
    with Receiver(status=500, hang=hang) as failing:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, failing.url)
        code, out, err = run_main("promote", model, "--to", "staging")
    assert code == 0, err
    assert "promoted" in out
    assert len(failing.bodies) == alerts.ATTEMPTS  # then it gives up with a warning
    assert Client().get_model_version(model, "1").stage == "staging"


def test_a_client_error_is_not_retried(model, monkeypatch):
    add(model, 0.70)
    with Receiver(status=404) as wrong:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, wrong.url)
        assert run_main("promote", model, "--to", "staging")[0] == 0
    assert len(wrong.bodies) == 1


def test_nothing_is_sent_without_a_url(model):
    with Receiver() as idle:  # listening, but configured nowhere
        assert run_main("promote", model + "-x", "--to", "staging")[0] == 2
        add(model, 0.70)
        assert run_main("promote", model, "--to", "staging")[0] == 0
    assert idle.bodies == []


def test_the_url_can_come_from_a_zenml_secret(model):
    client = Client()
    with Receiver() as secret_receiver:
        secret = client.create_secret(
            zenml_alerts.SECRET, values={zenml_alerts.SECRET_KEY: secret_receiver.url}
        )
        try:
            add(model, 0.70)
            assert run_main("promote", model, "--to", "staging")[0] == 0
        finally:
            client.delete_secret(secret.id)
    assert secret_receiver.events() == ["promoted"]


def test_a_webhook_url_in_a_config_file_is_refused(model, tmp_path):
    policy = yaml.safe_load((tmp_path / POLICY_FILE).read_text())
    policy[model]["alert_webhook_url"] = "https://hooks.slack.com/services/T/B/X"
    (tmp_path / POLICY_FILE).write_text(yaml.safe_dump(policy))
    add(model, 0.70)
    code, _, err = run_main("promote", model, "--to", "staging")
    assert_refused(code, err, "alert_webhook_url: an alert webhook URL is a secret")

    run_config = yaml.safe_load((PROJECT_ROOT / "zenml_config/bank_scoring.yaml").read_text())
    run_config["settings"] = {"alerts": {"webhook": "https://example.invalid/x"}}
    (tmp_path / "bank_scoring.yaml").write_text(yaml.safe_dump(run_config))
    code, _, err = run_main("predict", "bank", "--config", str(tmp_path / "bank_scoring.yaml"))
    assert_refused(code, err, "webhook: an alert webhook URL is a secret")


def _final_status(state: str):
    from kfp import dsl

    failed = state == "FAILED"
    return dsl.PipelineTaskFinalStatus(
        state=state, pipeline_job_resource_name="runs/run-9", pipeline_task_name="exit-handler-1",
        error_code=1 if failed else None, error_message="Task ingest failed." if failed else None,
    )  # fmt: skip


def test_the_kfp_exit_task_alerts_a_failed_run_and_nothing_else(receiver, monkeypatch):
    """The exit task of every native KFP pipeline (components/platform.py), called as KFP calls
    it with the run's final status: a failure posts `run_failed` linked to the run; a run that
    succeeded or was cancelled posts nothing."""
    from components.platform import alert_run_failed

    monkeypatch.setenv(alerts.KFP_UI_ENV, "https://kfp.example")
    notify = alert_run_failed.python_func
    assert notify(model="bank_marketing_classifier", run_id="run-9", status=_final_status("FAILED"))
    for state in ("SUCCEEDED", "CANCELLED"):
        assert not notify(
            model="bank_marketing_classifier", run_id="run-9", status=_final_status(state)
        )
    (body,) = receiver.bodies
    assert body["event"] == "run_failed" and body["model"] == "bank_marketing_classifier"
    assert body["version"] is None and body["reason"] == "Task ingest failed."
    assert (body["run"], body["run_url"]) == ("run-9", "https://kfp.example/#/runs/details/run-9")
    assert body["text"].startswith("Run failed: bank_marketing_classifier: Task ingest failed.")


def test_a_failed_kfp_local_run_alerts_through_its_exit_handler(receiver, tmp_path, monkeypatch):
    """kfp.local (2.17) runs exit handlers with the body's final status: the taxi pipeline with
    a run date that is not a date fails at its first task, and its exit task posts the failure."""
    from kfp import local

    from components import PIPELINES
    from model_factory.integrations.kubeflow.compiler import pipeline_inputs
    from model_factory.use_cases import TAXI

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    entry = PIPELINES["taxi_detection"]
    config = entry.config(PROJECT_ROOT / "zenml_config")
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "kfp"))
    with pytest.raises(RuntimeError):
        entry.build(config)(**{**pipeline_inputs(entry, config), "run_date": "2024-13-01"})
    (run_dir,) = (tmp_path / "kfp").iterdir()
    assert {p.name for p in run_dir.iterdir()} == {"alert-run-failed"}  # a failed task keeps none
    (body,) = receiver.bodies
    assert body["event"] == "run_failed" and body["model"] == TAXI.model_name
    assert body["reason"] and body["run"]
