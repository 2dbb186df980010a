"""A run that fails or is killed after registering its model version leaves that version marked
failed (its run's status): `models`, `history` and `promote` skip it."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from zenml import Model, pipeline
from zenml.client import Client
from zenml.enums import ExecutionStatus

from model_factory.taxi.config import TaxiDetectionConfig
from model_factory.taxi.data import reference_source
from steps import taxi_detection as s
from steps.data import ingest, validate
from support import PROJECT_ROOT, clear_stages, run_main

MODEL = "taxi_anomaly_detector"


@pipeline(enable_cache=False)
def fit_then_write(config: TaxiDetectionConfig) -> None:
    """The detection pipeline's fitting path: register and fit a version, label, write."""
    rides = validate(ingest(config), config)
    fitted, _, _, _ = s.fit_detector.with_options(model=Model(name=MODEL))(config)
    labels, _ = s.label(rides, fitted, config)
    s.write_labels(labels, config, reference_source(config))


def _new_versions(before: set[str]) -> list:
    versions = Client().list_model_versions(model=MODEL, size=1000, hydrate=True).items
    return [v for v in versions if v.name not in before]


def _version_names() -> set[str]:
    if not any(m.name == MODEL for m in Client().list_models(name=MODEL)):
        return set()
    return {v.name for v in Client().list_model_versions(model=MODEL, size=1000).items}


def _assert_skipped(version: str) -> None:
    """Not listed, not in the history, refused by name, never the default candidate."""
    code, out, err = run_main("models", MODEL, "--json")
    assert code == 0, err
    assert version not in [row["version"] for row in json.loads(out)]
    code, out, err = run_main("history", MODEL, "--json")
    assert code == 0, err
    assert version not in [row["version"] for row in json.loads(out)]
    code, _, err = run_main("promote", MODEL, "--to", "staging", "--version", version)
    assert code == 2 and f"version {version} was registered by a failed run" in err, err
    code, out, err = run_main("promote", MODEL, "--to", "staging")
    assert f"version {version} -> staging" not in out, out
    assert code in (0, 2, 3), err


def test_a_run_failing_after_registering_leaves_a_skipped_version(tmp_path):
    """The writer fails (its database cannot be created: a file stands where its folder
    should be) after the version was registered and its metrics recorded."""
    (tmp_path / "not-a-folder").write_text("")
    config = TaxiDetectionConfig(
        run_date="2024-06-09",
        simulator={"n_rides": 500},
        promote=False,
        db_url=f"sqlite:///{tmp_path / 'not-a-folder' / 'staging.db'}",
    )
    before = _version_names()
    with pytest.raises(Exception, match=r"failure in step\(s\): write_labels"):
        fit_then_write(config)
    [version] = _new_versions(before)
    assert version.run_metadata["metrics"]  # complete as a model, but its run failed
    _assert_skipped(version.name)


def test_a_killed_run_is_marked_failed_and_its_version_skipped(tmp_path):
    """A training run SIGKILLed after registering its version stays "running" in ZenML until
    the next command that touches the model marks it failed."""
    clear_stages(MODEL)  # with a production detector the run would fit nothing
    before = _version_names()
    rides = tmp_path / "rides"
    command = [sys.executable, "-m", "model_factory", "detect", "taxi",
               "--run-date", "2024-06-10", "--rides", "40000",
               "--db", f"sqlite:///{tmp_path / 'staging.db'}"]  # fmt: skip
    with rides.open("w") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=os.environ.copy(), stderr=log)
    try:
        while not _new_versions(before):  # registered: its fitting step has started
            assert process.poll() is None, rides.read_text()[-3000:]
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    [version] = _new_versions(before)
    run = (
        Client().list_pipeline_runs(pipeline_name="taxi_detection", sort_by="desc:created").items[0]
    )
    assert not run.status.is_finished

    _assert_skipped(version.name)
    run = Client().get_pipeline_run(run.id)
    assert run.status == ExecutionStatus.FAILED
    assert all(step.status.is_finished for step in run.steps.values())
