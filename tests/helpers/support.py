"""Helpers shared by tests (importable because pytest puts tests/ on sys.path)."""

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: int = 900, env: dict | None = None) -> subprocess.CompletedProcess:
    """`model-factory ARGS` in a subprocess, as a user would type it; in `env` if given (the
    ZenML client reads its store settings when it starts), else in this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "model_factory", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        env=os.environ.copy() if env is None else env,
    )


def clear_stages(model: str) -> None:
    """Archive whatever holds staging or production of `model` (other tests of this process
    may have trained it), so a test's promotions start from empty stages."""
    from zenml.client import Client
    from zenml.enums import ModelStages

    client = Client()
    if any(m.name == model for m in client.list_models(name=model)):
        for stage in (ModelStages.STAGING, ModelStages.PRODUCTION):
            for version in client.list_model_versions(model=model, stage=stage):
                version.set_stage(ModelStages.ARCHIVED, force=True)


def run_main(*args: str) -> tuple[int, str, str]:
    """`model-factory ARGS` through the CLI's entry point in this process (exit code, stdout,
    stderr): the same code as `run_cli` without a new interpreter's seconds of imports."""
    from model_factory.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["model-factory", *args]
    environ = dict(os.environ)  # commands given --db export it for their steps: not for later tests
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = argv
        os.environ.clear()
        os.environ.update(environ)
    return code, out.getvalue(), err.getvalue()


def train_into_production(model: str, folder: Path, *train_args: str) -> str:
    """`model-factory train ARGS`, then its version straight into production (test set-up:
    promotion has tests of its own); returns the version name. In this process: the `train`
    command in a new interpreter has tests of its own (test_bank_pipeline, test_forecasting_cli),
    and a set-up need not pay a fresh interpreter's imports."""
    import json

    from zenml.client import Client

    metrics = folder / "metrics.json"
    code, _, err = run_main("train", *train_args, "--metrics-out", str(metrics))
    assert code == 0, err[-3000:]
    version = json.loads(metrics.read_text())["model_version"]
    clear_stages(model)
    Client().get_model_version(model, version).set_stage("production", force=True)
    return version


def kill_mid_write(write, url: str) -> None:
    """Fork a process that runs `write(engine)` on the database `url` and SIGKILL it as soon as
    it has deleted rows inside its write (forked: no new interpreter's imports to wait for)."""
    import multiprocessing
    import signal

    context = multiprocessing.get_context("fork")
    announcements, announcer = context.Pipe(duplex=False)
    writer = context.Process(target=_write_announcing_delete, args=(write, url, announcer))
    writer.start()
    announcer.close()
    try:
        announced = announcements.recv() if announcements.poll(120) else None
        writer.kill()
        writer.join(60)
    finally:
        if writer.is_alive():
            writer.kill()
    assert announced == "deleted", f"the writer never deleted (exit {writer.exitcode})"
    assert writer.exitcode == -signal.SIGKILL, "the writer finished before it was killed"


def _write_announcing_delete(write, url: str, announcer) -> None:
    from sqlalchemy import event

    from model_factory import sql

    engine = sql.engine_for(url)

    @event.listens_for(engine, "after_cursor_execute")
    def announce(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE") and not announcer.closed:
            announcer.send("deleted")
            announcer.close()  # once: the write goes on until the kill

    write(engine)


# A bank classifier that trains in seconds: two candidates, two folds, one job.
TINY_BANK = {"search": {"n_candidates": 2, "cv_folds": 2, "min_rows": 600, "n_jobs": 1}}

# A forecaster that trains in seconds: 4-week windows, two candidates, few interval samples.
TINY_FORECAST = {
    "holdout_days": 28,
    "validation_days": 28,
    "min_train_days": 180,
    "candidates": ["prophet_log", "seasonal_naive"],
    "prophet": {"uncertainty_samples": 100, "yearly_fourier_order": 3},
    "plot_stores": 1,
    "promote": False,
}


def run_kfp_local(name: str, config, root: Path):
    """The registered KFP pipeline `name` with `config`'s inputs through kfp.local's
    SubprocessRunner (this interpreter, no Docker), artifacts under `root`; returns its task."""
    from kfp import local

    from components import PIPELINES
    from model_factory.integrations.kubeflow.compiler import pipeline_inputs

    entry = PIPELINES[name]
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root))
    return entry.build(config)(**pipeline_inputs(entry, config))


@contextlib.contextmanager
def kfp_retry_waits():
    """Record the backoffs kfp.local waits before retrying a failed task, instead of sleeping
    them (30 s, 60 s, 120 s for components.platform.RETRY: minutes of a test's time); yields
    the list of requested waits in seconds, for the test to assert."""
    import types

    from kfp.local.orchestrator import task_executor

    waits: list[float] = []
    real = task_executor.time
    task_executor.time = types.SimpleNamespace(sleep=waits.append)  # its only use of `time`
    try:
        yield waits
    finally:
        task_executor.time = real


def gate_decision(record: dict, baselines: dict[str, float] | None = None) -> str:
    """What the staging gate should decide from the numbers it recorded (`record`: a decision
    stored on a version): the floor, then the baselines the candidate must beat, then the
    margin over the incumbent, written out again so a test can check a
    recorded decision against its own scores whichever way it went."""
    sign = 1 if record["direction"] == "maximize" else -1
    candidate, incumbent = record["candidate_score"], record["incumbent_score"]
    if sign * (candidate - record["floor"]) < 0:
        return "rejected"
    if any(sign * (candidate - b) <= 0 for b in (baselines or {}).values()):
        return "rejected"
    if incumbent is None or sign * (candidate - incumbent) > record["margin"]:
        return "promoted"
    return "rejected"


def version_names(model: str) -> list[str]:
    """The model's version names, oldest first."""
    from model_factory.integrations import zenml_stages

    return [v.name for v in zenml_stages.versions(zenml_stages.get_model(model))]


def retrained(model: str, before: list[str], metrics_path: Path, because: str):
    """(metrics, version) of what one `retrain-if-drifted` run created, after checking it made
    exactly one version, the one its metrics JSON names, which records why (`because`: the start
    of `retrained_because`)."""
    import json

    from zenml.client import Client

    metrics = json.loads(metrics_path.read_text())
    assert version_names(model) == [*before, metrics["model_version"]]
    version = Client().get_model_version(model, metrics["model_version"])
    assert version.run_metadata["retrained_because"].startswith(because)
    return metrics, version


MODELS = ("taxi_anomaly_detector", "store_sales_forecaster", "bank_marketing_classifier")


class World:
    """What a refused command must leave as it was: every model's versions and stages in the
    ZenML store, the files (with size, content hash and mode) under `folders`, and the row
    count of each table in each `databases` URL. Take one before, one after, compare with ==."""

    def __init__(self, folders=(), databases=(), models=MODELS):
        self.versions = _versions(models)
        self.files = {str(p): _file_state(p) for f in folders for p in _walk(Path(f))}
        self.rows = {url: _row_counts(url) for url in databases}

    def __eq__(self, other) -> bool:
        return vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"World({vars(self)!r})"


def _versions(models) -> dict[str, list[tuple[str, str | None]]]:
    from zenml.client import Client

    client = Client()
    found = {}
    for name in models:
        if any(m.name == name for m in client.list_models(name=name)):
            versions = client.list_model_versions(model=name, size=1000)
            found[name] = sorted((v.name, v.stage) for v in versions)
    return found


def _walk(folder: Path):
    return sorted(p for p in folder.rglob("*") if not p.is_dir()) if folder.exists() else []


def _file_state(path: Path):
    import hashlib
    import stat

    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        return (stat.S_IFMT(info.st_mode), info.st_mode)
    return (info.st_size, info.st_mode, hashlib.sha256(path.read_bytes()).hexdigest())


def _row_counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            count = 'SELECT COUNT(*) FROM "{}"'
            return {t: connection.execute(text(count.format(t))).scalar() for t in tables}
    finally:
        engine.dispose()


def assert_refused(code: int, stderr: str, message: str) -> None:
    """A refused command: exit 2 and one `error:` line naming the problem, no traceback (ZenML's
    own log lines may stand before it)."""
    assert code == 2, f"exit {code}: {stderr[-2000:]}"
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and stderr.rstrip().endswith(errors[0]), stderr[-2000:]
    assert "Traceback" not in stderr
    assert message in errors[0], errors[0]


def stage_reference(use_case, folder: str, model_name: str, stage: str, materializer: type):
    """The exported reference at `folder` (a `use_case` model) as a new version of `model_name`
    in `stage` on this process's ZenML store: its model (saved with `materializer`), reference
    profile and training config, as a training run records them; seconds instead of a run.
    Returns the version."""
    from zenml import Model, link_artifact_to_model, log_metadata, save_artifact
    from zenml.client import Client
    from zenml.enums import ModelStages
    from zenml.materializers.pydantic_materializer import PydanticMaterializer

    from model_factory import continuous
    from model_factory.integrations.zenml_drift import PROFILE_ARTIFACT
    from model_factory.integrations.zenml_lookup import find_model
    from model_factory.use_case import resolve

    reference = continuous.load_reference(Path(folder), use_case.model_name)
    training = continuous.load_training_config(Path(folder), resolve(use_case.training_params))
    client = Client()
    model = find_model(model_name) or client.create_model(name=model_name)
    version = client.create_model_version(model.id)
    target = Model(name=model_name, version=version.name)
    saved = [(use_case.model_artifact, reference.model, materializer),
             (PROFILE_ARTIFACT, reference.profile, PydanticMaterializer)]  # fmt: skip
    for name, value, saved_by in saved:
        link_artifact_to_model(save_artifact(value, name=name, materializer=saved_by), target)
    config = training.model_dump(mode="json")
    recorded = {"metrics": reference.profile.performance, "config": config}
    log_metadata(recorded, model_version_id=version.id)
    version.set_stage(ModelStages(stage), force=True)
    return client.get_model_version(model_name, version.name)
