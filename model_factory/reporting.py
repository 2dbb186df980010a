"""What a command leaves behind: a flat metrics JSON, output tables, a table on the terminal."""

import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from model_factory import outputs

# Piped into a CI log or a file, rich would squeeze tables into 80 columns (a history's reasons
# one word per line); $COLUMNS still decides when it is set.
_PIPED = not sys.stdout.isatty() and "COLUMNS" not in os.environ
console = Console(stderr=False, width=160 if _PIPED else None)


def write_metrics(metrics: dict, path: str | Path | None) -> None:
    if path is None:
        return
    outputs.write_text(path, json.dumps(metrics, indent=2, sort_keys=True, default=str) + "\n")


def print_metrics(title: str, metrics: dict) -> None:
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)


def markdown_summary(reports: dict[str, dict]) -> str:
    """One Markdown table per metrics file (CI job summaries): scalar values only."""
    lines = []
    for name, metrics in reports.items():
        decision = metrics.get("promotion", "n/a")
        lines += [f"### {name}: version {metrics.get('model_version', 'n/a')}, {decision}", ""]
        lines += ["| metric | value |", "|---|---|"]
        for key, value in metrics.items():
            if isinstance(value, bool | int | float | str):
                shown = f"{value:.4f}" if isinstance(value, float) else str(value)
                lines.append(f"| {key} | {shown} |")
        lines.append("")
    return "\n".join(lines)
