"""What every KFP component does with its artifacts: tables as Parquet files with their row
count, the run config as a JSON file, metrics for the KFP UI plus the JSON registration reads,
plots as HTML. The components pass their `dsl.Input`/`dsl.Output` objects, of which only `path`,
`metadata` and `log_metric` are used: no kfp import here (the functions run inside the task)."""

import json
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel

Parsed = TypeVar("Parsed", bound=BaseModel)


def read_table(artifact) -> pd.DataFrame:
    return pd.read_parquet(artifact.path)


def write_table(frame: pd.DataFrame, artifact) -> None:
    """The table as the artifact's file; its row count in the metadata, which the KFP UI shows."""
    frame.to_parquet(artifact.path)
    artifact.metadata["rows"] = len(frame)


def read_json(artifact, kind: type[Parsed]) -> Parsed:
    """The object of pydantic type `kind` in the artifact's JSON file: the run config
    `resolve-config` wrote, a taxi detector."""
    return kind.model_validate_json(Path(artifact.path).read_text())


def log_metrics(metrics, scores: dict[str, float]) -> None:
    """Scores on a `dsl.Metrics` artifact: the KFP UI compares them across runs."""
    for name, value in scores.items():
        metrics.log_metric(name, value)


def write_json(artifact, content: dict[str, Any], **metadata: Any) -> None:
    """`content` as the artifact's JSON file (sorted, as the ZenML runs write it), `metadata` on
    the artifact (what registration records about the run)."""
    Path(artifact.path).write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    artifact.metadata.update(metadata)


def version_id(reference) -> dict[str, str]:
    """`{"model_version_id": ...}` when a model reference came from a stage on a ZenML server
    (an exported folder has no id): what scoring records beside the version name."""
    key = "model_version_id"
    return {key: reference.metadata[key]} if key in reference.metadata else {}


def write_html(artifact, figure, title: str) -> None:
    """A figure as the artifact's standalone HTML page, which the KFP UI renders."""
    from model_factory import plots

    Path(artifact.path).write_text(plots.html(figure, title))
