"""What a command leaves behind: a flat metrics JSON, output tables, a table on the terminal."""

import json
import os
import tempfile
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

console = Console(stderr=False)


def write_metrics(metrics: dict, path: str | Path | None) -> None:
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True, default=str) + "\n")


def write_csv_atomically(frame: pd.DataFrame, path: str | Path) -> None:
    """Write to a temporary file beside `path`, then rename: `path` is whole or untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", newline="") as out:
            frame.to_csv(out, index=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
