"""What a command leaves behind: a flat metrics JSON and a table on the terminal."""

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console(stderr=False)


def write_metrics(metrics: dict, path: str | Path | None) -> None:
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True, default=str) + "\n")


def print_metrics(title: str, metrics: dict) -> None:
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
