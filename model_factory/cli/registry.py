"""`promote`, `rollback`, `models`, `history` and `summary`: stages, decisions and metrics."""

import json
from pathlib import Path

import typer

from model_factory.cli.base import ModelArgument, StageName, app, model_named
from model_factory.errors import InputError, PromotionRejected
from model_factory.paths import config_dir


@app.command()
def history(
    model: str = ModelArgument,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Every decision in order: trained or retrained, monitored (drift or not), promoted,
    rejected, rolled back; with scores and reasons, from model-version metadata."""

    from rich.table import Table

    from model_factory.integrations import zenml_stages
    from model_factory.promotion import POLICY_FILE, load_policies
    from model_factory.reporting import console

    policy = load_policies(config_dir() / POLICY_FILE).get(model)
    rows = zenml_stages.history(model, policy.metric if policy else None)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title=f"{model} history" + (f" ({policy.metric})" if policy else ""))
    for column in ("time", "version", "event", "stage", "score", "incumbent", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["time"], row["version"], row["event"], row["stage"] or "-",
            _cell(row["score"]), _cell(row["incumbent_score"]), row["reason"],
        )  # fmt: skip
    console.print(table)


@app.command()
def promote(
    model: str = ModelArgument,
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
def rollback(model: str = ModelArgument) -> None:
    """Give production back to the version that held it before the current holder."""
    from model_factory.integrations import zenml_stages

    _print_decision(zenml_stages.rollback(model, _policy(model)))


@app.command()
def models(
    model: str | None = typer.Argument(
        None, callback=model_named, help="One model or use case (default: all)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """List model versions: stage, key metrics, created time and the last decision."""

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
    policies = load_policies(config_dir() / POLICY_FILE)
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
    from model_factory.integrations.zenml_lookup import use_case_of
    from model_factory.promotion import POLICY_FILE, load_policies, policy_for

    path = config_dir() / POLICY_FILE
    # A model without a policy of its own takes its use case's (looked up only then).
    fallback = None if model in load_policies(path) else use_case_of(model).model_name
    return policy_for(model, path, fallback)


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


@app.command()
def summary(
    files: list[Path] = typer.Argument(..., help="Metrics JSON files written by --metrics-out"),
) -> None:
    """Print the metrics files as Markdown tables (e.g. into a CI job summary)."""

    from model_factory.reporting import markdown_summary

    reports = {}
    for path in files:
        try:
            reports[path.stem] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not a readable metrics JSON ({exc})") from exc
    print(markdown_summary(reports))
