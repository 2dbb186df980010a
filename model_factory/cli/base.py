"""The `model-factory` app, its command groups and shared options, the run-and-report
helpers the commands share, and the entry point that maps errors to exit codes."""

import functools
import os
import sys
from enum import StrEnum
from pathlib import Path

import click
import typer

from model_factory import use_cases
from model_factory.errors import DriftDetected, InputError, PromotionRejected
from model_factory.paths import config_dir
from model_factory.use_case import UseCase

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
train_app = typer.Typer(
    no_args_is_help=True, help="Train a model, evaluate it, register a version."
)
app.add_typer(train_app, name="train")
detect_app = typer.Typer(
    no_args_is_help=True, help="Batch-score one run date into the staging database."
)
app.add_typer(detect_app, name="detect")
predict_app = typer.Typer(
    no_args_is_help=True, help="Batch-score with the model version in a stage (production)."
)
app.add_typer(predict_app, name="predict")
stack_app = typer.Typer(no_args_is_help=True, help="The ZenML stack that runs on Kubeflow.")
app.add_typer(stack_app, name="stack")
monitor_app = typer.Typer(
    no_args_is_help=True,
    help="Check a batch against the production version's reference profile (exit 4: drift).",
)
app.add_typer(monitor_app, name="monitor")
deploy_app = typer.Typer(no_args_is_help=True, help="Deploy a service to Kubernetes.")
app.add_typer(deploy_app, name="deploy")


def checked_output(path: Path | None) -> Path | None:
    """Option callback: refuse an output path that cannot be written (a folder, FIFO, device,
    symbolic link: see model_factory/outputs.py) while parsing, before the command does any work."""
    from model_factory.outputs import check_writable

    return path if path is None else check_writable(path)


OUTPUT_RULE = "replaced in one step, keeping its mode; a symbolic link or non-file is refused"
ConfigOption = typer.Option(None, "--config", help="Run config YAML (default: zenml_config/...)")
DataOption = typer.Option(
    None,
    "--data",
    help="Input data: a file or a gs:// or s3:// URI (default: bundled or synthetic)",
)


def data_location(data: str | Path) -> str:
    """`--data` as runs record it: a URI as given, a local file as an absolute path (a run may
    not start in this directory)."""
    return str(data) if "://" in str(data) else str(Path(data).resolve())


MetricsOption = typer.Option(
    None,
    "--metrics-out",
    callback=checked_output,
    help=f"Write the metrics as a flat JSON file ({OUTPUT_RULE})",
)
DbOption = typer.Option(
    None,
    "--db",
    help="SQLAlchemy URL of the staging DB (default: $MODEL_FACTORY_DB_URL, config, "
    "then a SQLite file in the outputs folder)",
)
RunDateOption = typer.Option(
    ..., "--run-date", help="YYYY-MM-DD: keys the rows, seeds synthetic rides"
)


class StageName(StrEnum):
    staging = "staging"
    production = "production"


def run_config_path(given: Path | None, default_name: str) -> Path:
    return given or config_dir() / default_name


def deprecated(old: str, new: str) -> None:
    """One line on stderr for a name kept for one release; stdout stays the command's."""
    print(f"note: `{old}` is deprecated, use `{new}`", file=sys.stderr)


def use_case_command(group: typer.Typer, verb: str, use_case: UseCase, old: str | None = None):
    """Register a command as `<verb> <short name>` and, hidden and deprecated, under its
    old name (`old`, default the use case's `old_name`)."""
    old = old or use_case.old_name

    def register(command):
        @functools.wraps(command)
        def old_command(*args, **kwargs):
            deprecated(f"{verb} {old}", f"{verb} {use_case.name}")
            return command(*args, **kwargs)

        group.command(use_case.name)(command)
        if old is not None:
            group.command(old, hidden=True)(old_command)
        return command

    return register


def use_case_named(name: str) -> UseCase:
    """A use case argument: its short name, or (deprecated) its registered model name."""
    for use_case in use_cases.all():
        if name == use_case.name:
            return use_case
        if name == use_case.model_name:
            deprecated(name, use_case.name)
            return use_case
    raise InputError(f"unknown use case {name!r} (one of {', '.join(use_cases.names())})")


def model_named(name: str | None) -> str | None:
    """Argument callback: a model name, or the short name of the use case registering it."""
    known = {use_case.name: use_case.model_name for use_case in use_cases.all()}
    return known.get(name, name) if name is not None else None


ModelArgument = typer.Argument(
    ...,
    callback=model_named,
    help=f"Model name, or its use case ({', '.join(use_cases.names())})",
)


def train_and_report(use_case: UseCase, run_config, settings, metrics_out: Path | None) -> dict:
    """Run a training pipeline and report the metrics its `metrics` output holds."""
    from importlib import import_module

    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import print_metrics, write_metrics

    pipeline_module = import_module(use_case.training_pipeline)
    run = run_with_config(pipeline_module.TRAINING, run_config, settings)
    metrics = step_output(run, pipeline_module.METRICS_STEP, "metrics")
    promotion = promotion_of(run, "this pipeline has no promote step")
    metrics["promotion"] = promotion["decision"]
    write_metrics(metrics, metrics_out)
    print_metrics(f"{use_case.outputs} (run {run.name})", metrics)
    print(f"promotion: {promotion['decision']}: {promotion['reason']}")
    return metrics


def promotion_of(run, why_skipped: str) -> dict:
    """The run's promote-step decision, or `skipped` when the run had no such step."""
    from model_factory.integrations.zenml_runs import step_output

    if "promote" in run.steps:
        return step_output(run, "promote", "promotion")
    return {"decision": "skipped", "reason": why_skipped}


def score_and_report(pipeline_module, run_config, settings, metrics_out: Path | None) -> dict:
    """Run a scoring pipeline and report the metrics its `metrics` output holds."""
    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import print_metrics, write_metrics

    run = run_with_config(pipeline_module.SCORING, run_config, settings)
    metrics = step_output(run, pipeline_module.METRICS_STEP, "metrics")
    write_metrics(metrics, metrics_out)
    print_metrics(f"{run.pipeline.name} (run {run.name})", metrics)
    return metrics


def main() -> None:
    """Entry point: map errors to exit codes and one-line messages."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        fail(f"error: {exc}", 2)
    except PromotionRejected as exc:
        fail(f"rejected: {exc}", 3)
    except DriftDetected as exc:
        fail(f"drift: {exc}", 4)
    except click.exceptions.Abort:
        fail("aborted", 1)
    except (click.ClickException, typer.TyperException) as exc:  # typer vendors its own click
        exc.show()
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("MODEL_FACTORY_DEBUG"):
            raise
        fail(f"error: unexpected {type(exc).__name__}: {exc}", 1)


def fail(message: str, code: int) -> None:
    print(message.replace("\n", " "), file=sys.stderr)
    sys.exit(code)
