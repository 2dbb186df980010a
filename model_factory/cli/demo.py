"""`demo`: every pipeline on bundled/synthetic data, then release, scoring and monitoring."""

import functools
import json
import time

from model_factory.cli.base import app
from model_factory.errors import DriftDetected, InputError, PromotionRejected
from model_factory.use_cases import BANK, FORECASTING, TAXI


@app.command()
def demo() -> None:
    """Run every pipeline on bundled or synthetic data and say where the outputs are."""
    from model_factory import outputs
    from model_factory.paths import home, output_dir
    from model_factory.reporting import console
    from pipelines import bank_training, forecasting_training

    headline = {
        "bank": ("roc_auc", "pr_auc", "f1", "model_version", "promotion"),
        "taxi": ("run_date", "n_rides", "n_anomalies", "f1", "model_version"),
        "forecasting": ("rmspe", "naive_rmspe", "coverage", "model_version", "promotion"),
        "bank_scoring": ("n_rows", "n_predicted_positive", "model_version", "out_path"),
        "forecasting_scoring": ("n_stores", "rows_written", "model_version", "table"),
    }
    wall_s: dict[str, float] = {}  # each pipeline command's wall time
    timed = functools.partial(_timed, wall_s)
    metrics = {
        "bank": timed("bank", _cli)(
            "train", "bank", "--metrics-out", output_dir(BANK.outputs) / "metrics.json"
        ),
        "taxi": timed("taxi", _cli)(
            "detect", "taxi", "--run-date", "2024-06-01",
            "--metrics-out", output_dir(TAXI.outputs) / "metrics.json",
        ),
        "forecasting": timed("forecasting", _cli)(
            "train", "forecasting",
            "--metrics-out", output_dir(FORECASTING.outputs) / "metrics.json",
        ),
    }  # fmt: skip
    # Staging holders that still win go to production; batch scoring then uses production.
    if _demo_release(bank_training.MODEL.name):
        metrics["bank_scoring"] = timed("bank_scoring", _cli)(
            "predict", "bank", "--stage", "production",
            "--metrics-out", output_dir(BANK.outputs) / "scoring.json",
        )  # fmt: skip
    if _demo_release(forecasting_training.MODEL.name):
        metrics["forecasting_scoring"] = timed("forecasting_scoring", _cli)(
            "predict", "forecasting", "--stage", "production",
            "--metrics-out", output_dir(FORECASTING.outputs) / "scoring.json",
        )  # fmt: skip
    monitored = timed("bank_monitor", _demo_monitor)(bank_training.MODEL.name)
    console.rule("model-factory demo")
    for use_case, values in metrics.items():
        console.print(f"[bold]{use_case}[/]: " + ", ".join(
            f"{k}={values[k]:.3f}" if isinstance(values[k], float) else f"{k}={values[k]}"
            for k in headline[use_case]
        ))  # fmt: skip
    for line in monitored:
        console.print(line, soft_wrap=True)
    console.print("Wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in wall_s.items()))
    summary = json.dumps({"wall_s": wall_s, "metrics": metrics}, indent=2, default=str)
    outputs.write_text(home() / "demo_summary.json", summary + "\n")  # read by benchmarks/
    console.print(f"Outputs (metrics, plots, staging DB): {home()}")
    zenml = _command_path("zenml")
    console.print(
        f"Runs and artifacts: `{zenml} pipeline runs list`; "
        f"models: `{_command_path('model-factory')} models`"
    )
    console.print(f"Dashboard: `{zenml} login --local` (then open the printed URL)")


def _cli(*argv):
    """A command run as a user types it: Typer parses `argv` (defaults, checks and callbacks
    apply), so a command that gains an option cannot shift the demo's arguments. Returns what
    the command returns (its metrics); errors propagate to the demo's own command."""
    import typer

    return typer.main.get_command(app).main([str(arg) for arg in argv], standalone_mode=False)


def _command_path(name: str) -> str:
    """How to type an entry point of this environment from here: the environment is seldom on a
    new user's PATH (make demo never activates it), so name its bin folder, relative if inside."""
    import os
    import sys
    from pathlib import Path

    path = Path(sys.executable).parent / name
    inside = path.is_relative_to(Path.cwd())
    return os.path.relpath(path) if inside else str(path)


def _timed(wall_s: dict[str, float], name: str, command):
    """`command`, recording each call's wall time under `name` (the demo prints and saves them)."""

    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return command(*args, **kwargs)
        finally:
            wall_s[name] = time.perf_counter() - start

    return run


def _demo_monitor(model: str) -> list[str]:
    """Monitor a fresh and a shifted bank batch against production as `monitor bank`
    does (nothing without a production version); each run keeps its own copy of the HTML
    report. Returns the summary lines."""
    import contextlib
    import json

    from model_factory import outputs
    from model_factory.drift.report import html_path
    from model_factory.integrations.zenml_lookup import stage_version
    from model_factory.paths import output_dir

    if stage_version(model, "production") is None:
        return []
    folder = output_dir(BANK.outputs)
    lines = []
    for name, shifted in (("fresh", False), ("shifted", True)):
        batch, metrics_out = folder / f"batch_{name}.csv", folder / f"drift_{name}.json"
        _cli("sample-batch", "bank", "--out", batch, *(["--shift"] if shifted else []))
        try:
            with contextlib.suppress(DriftDetected):  # the verdict is in the metrics file
                _cli("monitor", "bank", "--data", batch, "--metrics-out", metrics_out)
        except InputError as exc:  # e.g. an older store's production has no reference profile
            return [f"[bold]bank monitor[/]: skipped ({exc})"]
        report = folder / f"drift_report_{name}.html"
        outputs.write_bytes(report, html_path("bank").read_bytes())
        drift = json.loads(metrics_out.read_text())
        checks = ", ".join(drift["drifted_checks"])
        verdict = f"[bold red]DRIFT[/] in {checks}" if drift["drifted"] else "no drift"
        lines.append(f"[bold]bank monitor[/] ({name} batch): {verdict}; report {report}")
    return lines


def _demo_release(model: str) -> bool:
    """Promote the staging holder to production as a release would; True if production is
    held afterwards (by it or by an earlier version)."""
    from model_factory.integrations.zenml_lookup import stage_version
    from model_factory.reporting import console

    if stage_version(model, "staging") is not None:
        try:
            _cli("promote", model, "--to", "production")
        except PromotionRejected as rejected:
            console.print(f"{model}: staging stays in staging ({rejected})")
    return stage_version(model, "production") is not None
