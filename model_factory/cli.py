"""`model-factory`: the command line over the core, ZenML and Kubeflow.

Imports of heavy libraries (zenml, sklearn, prophet, kfp) happen inside commands so that
`--help` stays fast. Exit codes: 0 ok, 1 unexpected error, 2 bad input, 3 promotion rejected.
"""

import os
import sys
from enum import StrEnum
from pathlib import Path

import click
import typer

from model_factory.errors import InputError, PromotionRejected
from model_factory.paths import config_dir

CONFIG_DIR = config_dir()

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
train_app = typer.Typer(
    no_args_is_help=True, help="Train a model, evaluate it, register a version."
)
app.add_typer(train_app, name="train")
detect_app = typer.Typer(
    no_args_is_help=True, help="Batch-score one run date into the staging database."
)
app.add_typer(detect_app, name="detect")

ConfigOption = typer.Option(None, "--config", help="Run config YAML (default: zenml_config/...)")
DataOption = typer.Option(None, "--data", help="Input data (default: bundled or synthetic)")
MetricsOption = typer.Option(None, "--metrics-out", help="Write the metrics as a flat JSON file")
DbOption = typer.Option(
    None, "--db", help="SQLAlchemy URL of the staging DB (default: $MODEL_FACTORY_DB_URL, config, "
    "then a SQLite file in the outputs folder)",
)  # fmt: skip
RunDateOption = typer.Option(
    ..., "--run-date", help="YYYY-MM-DD: keys the rows, seeds synthetic rides"
)


def _config_path(given: Path | None, default_name: str) -> Path:
    return given or CONFIG_DIR / default_name


@train_app.command("bank-marketing")
def train_bank_marketing(
    data: Path | None = DataOption, config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:  # fmt: skip
    """Train the term-deposit classifier (SMOTE + boosted trees, halving search)."""
    from model_factory.bank import data as bank_data
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.config import load_run_config

    run_config = load_run_config(_config_path(config, "bank_training.yaml"), BankTrainingConfig)
    settings = run_config.parameters.config
    if data is not None:
        settings = settings.model_copy(update={"data_path": str(data)})
    bank_data.validate(bank_data.load(settings), settings, source=str(data or "data"))
    return _train_and_report("bank_marketing", run_config, settings, metrics_out)


@train_app.command("store-forecasting")
def train_store_forecasting(
    data: Path | None = DataOption,
    stores: Path | None = typer.Option(None, "--stores", help="Rossmann store.csv (optional)"),
    config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:
    """Train one sales forecaster per store (Prophet variants or seasonal naive, chosen on a
    validation window) and score the last 6 weeks against the seasonal-naive baseline."""
    from model_factory.config import load_run_config
    from model_factory.forecasting import data as forecast_data
    from model_factory.forecasting.config import ForecastTrainingConfig

    run_config = load_run_config(
        _config_path(config, "forecast_training.yaml"), ForecastTrainingConfig
    )
    settings = run_config.parameters.config
    given = {"data_path": data, "store_path": stores}
    settings = settings.model_copy(update={k: str(v) for k, v in given.items() if v is not None})
    raw_sales, raw_stores = forecast_data.load(settings)
    sales = forecast_data.validate(raw_sales, settings, source=settings.data_path or "synthetic")
    forecast_data.validate_stores(raw_stores, sales, source=settings.store_path or "stores")
    return _train_and_report("store_forecasting", run_config, settings, metrics_out)


def _train_and_report(use_case: str, run_config, settings, metrics_out: Path | None) -> dict:
    """Run a training pipeline and report the metrics its `metrics` output holds."""
    from importlib import import_module

    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import print_metrics, write_metrics

    pipeline_module = import_module(f"pipelines.{use_case}")
    run = run_with_config(pipeline_module.TRAINING, run_config, settings)
    promotion = (
        step_output(run, "promote", "promotion")
        if "promote" in run.steps
        else {"decision": "skipped", "reason": "this pipeline has no promote step"}
    )
    metrics = {
        **step_output(run, pipeline_module.METRICS_STEP, "metrics"),
        "promotion": promotion["decision"],
    }
    write_metrics(metrics, metrics_out)
    print_metrics(f"{use_case} (run {run.name})", metrics)
    print(f"promotion: {promotion['decision']}: {promotion['reason']}")
    return metrics


@detect_app.command("taxi-anomalies")
def detect_taxi_anomalies(
    run_date: str = RunDateOption, data: Path | None = DataOption, db: str | None = DbOption,
    config: Path | None = ConfigOption, metrics_out: Path | None = MetricsOption,
    rides: int | None = typer.Option(
        None, "--rides", help="Synthetic rides per set (day, reference window, evaluation set); "
        "overrides simulator.n_rides",
    ),
) -> dict:  # fmt: skip
    """Label a day's taxi rides (DBSCAN noise = anomaly) into the taxi_ride_labels table."""
    from model_factory.config import load_run_config, parse
    from model_factory.paths import resolve_db_url
    from model_factory.taxi import data as taxi_data
    from model_factory.taxi import sink
    from model_factory.taxi.config import TaxiDetectionConfig

    config_path = _config_path(config, "taxi_detection.yaml")
    run_config = load_run_config(config_path, TaxiDetectionConfig)
    if run_config.model is not None:  # it would make every run create an (empty) model version
        raise InputError(f"{config_path}: model: is not allowed; the pipeline picks the version")
    overrides = {"run_date": run_date} | ({"data_path": str(data.resolve())} if data else {})
    values = run_config.parameters.config.model_dump()
    if rides is not None:
        overrides["simulator"] = {**values["simulator"], "n_rides": rides}
    settings = parse(TaxiDetectionConfig, {**values, **overrides}, "options")
    taxi_data.validate(taxi_data.load(settings), taxi_data.source(settings))
    if settings.reference_path:
        taxi_data.validate(taxi_data.load_reference(settings), settings.reference_path)
    sink.check_connection(resolve_db_url(db, settings.db_url))
    if db:  # steps resolve the URL at run time: credentials stay out of ZenML's run records
        os.environ["MODEL_FACTORY_DB_URL"] = db

    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import console, print_metrics, write_metrics
    from model_factory.taxi.evaluate import plot_path
    from pipelines import taxi_anomalies

    run = run_with_config(taxi_anomalies.DETECTION, run_config, settings)
    metrics = step_output(run, taxi_anomalies.METRICS_STEP, "metrics")
    write_metrics(metrics, metrics_out)
    print_metrics(f"taxi_anomalies {settings.run_date} (run {run.name})", metrics)
    console.print(f"Plot: {plot_path(settings.run_date)}")
    return metrics


class StageName(StrEnum):
    staging = "staging"
    production = "production"


@app.command()
def promote(
    model: str = typer.Argument(..., help="Model name, e.g. bank_marketing_classifier"),
    to: StageName = typer.Option(..., "--to", help="Target stage"),
    version: str | None = typer.Option(
        None, "--version", help="Version name or number (default: latest / the staging holder)"
    ),
) -> None:
    """Promote a version if it beats the stage's incumbent on the same data (exit 3 if not).

    To staging the incumbent is the staging holder, else the production holder; only the staging
    holder may go to production. Policies: zenml_config/promotion.yaml.
    """
    from model_factory.integrations import zenml_stages

    record = zenml_stages.promote(model, to.value, _policy(model), version)
    _print_decision(record)
    if record.decision == "rejected":
        raise PromotionRejected(record.reason)


@app.command()
def rollback(model: str = typer.Argument(..., help="Model name")) -> None:
    """Give production back to the version that held it before the current holder."""
    from model_factory.integrations import zenml_stages

    _print_decision(zenml_stages.rollback(model, _policy(model)))


@app.command()
def models(
    model: str | None = typer.Argument(None, help="One model (default: all)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """List model versions: stage, key metrics, created time and the last decision."""
    import json

    from rich.table import Table

    from model_factory.integrations import zenml_stages
    from model_factory.promotion import POLICY_FILE, load_policies
    from model_factory.reporting import console

    rows = zenml_stages.catalog(model)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        console.print("no models registered yet (train one: `model-factory train ...`)")
    policies = load_policies(CONFIG_DIR / POLICY_FILE)
    for name in dict.fromkeys(row["model"] for row in rows):
        versions = [row for row in rows if row["model"] == name]
        policy = policies.get(name)
        keys = [policy.metric, *policy.must_beat] if policy else sorted(versions[-1]["metrics"])
        table = Table(title=name + (f" ({policy.metric}, {policy.direction})" if policy else ""))
        for column in ["version", "stage", *keys, "created", "last decision"]:
            table.add_column(column, justify="right" if column in keys else "left")
        for row in versions:
            last = row["last_decision"]
            table.add_row(
                row["version"],
                row["stage"] or "-",
                *(_cell(row["metrics"].get(key)) for key in keys),
                row["created"],
                _last(last),
            )
        console.print(table)


def _policy(model: str):
    from model_factory.promotion import POLICY_FILE, policy_for

    return policy_for(model, CONFIG_DIR / POLICY_FILE)


def _last(decision: dict | None) -> str:
    if decision is None:
        return "-"
    label = "rolled back" if decision["action"] == "rollback" else decision["decision"]
    return f"{label} ({decision['stage']})"


def _cell(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "-" if value is None else str(value)


def _print_decision(record) -> None:
    """The decision in a few lines: outcome, both scores, margin, comparison, reason."""
    from model_factory.reporting import console

    console.print(
        f"[bold]{record.model}[/] version {record.candidate_version} -> {record.stage} "
        f"({record.action}): [bold]{record.decision}[/]"
    )
    if record.candidate_score is not None:
        versus = "no incumbent"
        if record.incumbent_version is not None:
            score = "n/a" if record.incumbent_score is None else f"{record.incumbent_score:.4f}"
            how = f" ({record.comparison})" if record.comparison else ""
            versus = f"incumbent version {record.incumbent_version} {score}{how}"
        console.print(
            f"  {record.metric} ({record.direction}): candidate {record.candidate_score:.4f}, "
            f"{versus}; margin {record.margin:g}, floor {record.floor:g}"
        )
    console.print(f"  reason: {record.reason}")
    if record.archived:
        console.print(f"  archived: version {', '.join(record.archived)}")


@app.command("compile")
def compile_pipelines(
    out: Path = typer.Option(Path("build/kfp"), "--out", help="Folder for <pipeline>.yaml"),
    image: str | None = typer.Option(
        None, "--image", help="Image every task runs (default: model-factory:<version>)"
    ),
) -> None:
    """Compile every Kubeflow pipeline to IR YAML; input defaults come from zenml_config/."""
    from components import PIPELINES
    from components.platform import PROJECT_IMAGE
    from model_factory.integrations.kfp_compile import compile_all

    for path in compile_all(PIPELINES, out, image or PROJECT_IMAGE, CONFIG_DIR):
        print(path)


@app.command()
def demo() -> None:
    """Run every pipeline on bundled or synthetic data and say where the outputs are."""
    from model_factory.paths import home, output_dir
    from model_factory.reporting import console

    headline = {
        "bank_marketing": ("roc_auc", "pr_auc", "f1", "model_version", "promotion"),
        "taxi_anomalies": ("run_date", "n_rides", "n_anomalies", "f1", "model_version"),
        "store_forecasting": ("rmspe", "naive_rmspe", "coverage", "model_version"),
    }
    metrics = {
        "bank_marketing": train_bank_marketing(
            None, None, output_dir("bank_marketing") / "metrics.json"
        ),
        "taxi_anomalies": detect_taxi_anomalies(
            "2024-06-01", None, None, None, output_dir("taxi_anomalies") / "metrics.json", None
        ),
        "store_forecasting": train_store_forecasting(
            None, None, None, output_dir("store_forecasting") / "metrics.json"
        ),
    }
    console.rule("model-factory demo")
    for use_case, values in metrics.items():
        console.print(f"[bold]{use_case}[/]: " + ", ".join(
            f"{k}={values[k]:.3f}" if isinstance(values[k], float) else f"{k}={values[k]}"
            for k in headline[use_case]
        ))  # fmt: skip
    console.print(f"Outputs (metrics, plots, staging DB): {home()}")
    console.print("Runs and artifacts: `zenml pipeline runs list`; models: `zenml model list`")
    console.print("Dashboard: `uv run zenml login --local` (then open the printed URL)")


def main() -> None:
    """Entry point: map errors to exit codes and one-line messages."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        _fail(f"error: {exc}", 2)
    except PromotionRejected as exc:
        _fail(f"rejected: {exc}", 3)
    except click.exceptions.Abort:
        _fail("aborted", 1)
    except (click.ClickException, typer.TyperException) as exc:  # typer vendors its own click
        exc.show()
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("MODEL_FACTORY_DEBUG"):
            raise
        _fail(f"error: unexpected {type(exc).__name__}: {exc}", 1)


def _fail(message: str, code: int) -> None:
    print(message.replace("\n", " "), file=sys.stderr)
    sys.exit(code)
