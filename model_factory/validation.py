"""Input checks shared by every use case: each failure is one line naming the problem."""

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types

from model_factory.errors import InputError


def read_table(path: str | Path, **csv_options) -> pd.DataFrame:
    """Read a CSV or Parquet file; missing, empty or unreadable files are InputErrors.

    An object-store URI (`gs://...`, `s3://...`) is read through fsspec: a Kubeflow monitor's
    retraining window reaches the nested training as its artifact's URI.
    """
    if "://" in str(path):
        return _read_uri(str(path), csv_options)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file not found: {path}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    return _read(path, path.suffix, csv_options, path)


def _read(source, suffix: str, csv_options: dict, name: str | Path) -> pd.DataFrame:
    try:
        if suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(source)
        return pd.read_csv(source, **csv_options)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{name}: cannot be read as a table ({exc})") from exc


def _read_uri(uri: str, csv_options: dict) -> pd.DataFrame:
    """Opened by fsspec itself: pandas 3 refuses the fsspec that gcsfs (ZenML's GCP) pins."""
    import fsspec

    suffix = Path(uri.rpartition("/")[2]).suffix
    try:
        with fsspec.open(uri, "rb") as handle:
            return _read(handle, suffix, csv_options, uri)
    except InputError:
        raise
    except (OSError, ValueError) as exc:  # missing object, unknown protocol
        raise InputError(f"{uri}: cannot be read ({exc})") from exc


def require_rows(frame: pd.DataFrame, source: str) -> None:
    if frame.empty:
        raise InputError(f"{source}: no rows")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}")


def require_no_nulls(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    for column in columns:
        if n := int(frame[column].isna().sum()):
            raise InputError(f"{source}: column {column} has {n} missing value(s)")


def require_numeric(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    for column in columns:
        if not types.is_numeric_dtype(frame[column]) or types.is_bool_dtype(frame[column]):
            sample = frame[column].dropna().astype(str).head(1).tolist()
            raise InputError(
                f"{source}: column {column} must be numeric, got {frame[column].dtype} "
                f"(e.g. {sample[0]!r})"
                if sample
                else f"{source}: column {column} must be numeric"
            )


def require_positive(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    for column in columns:
        if n := int((frame[column] <= 0).sum()):
            raise InputError(f"{source}: column {column} must be > 0 ({n} row(s) are not)")


def require_unique(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    duplicated = frame.duplicated(subset=columns, keep=False)
    if duplicated.any():
        first = frame.loc[duplicated, columns].iloc[0].tolist()
        raise InputError(
            f"{source}: duplicate {'/'.join(columns)} ({int(duplicated.sum())} rows, e.g. {first})"
        )


def require_values_in(frame: pd.DataFrame, column: str, allowed: Iterable, source: str) -> None:
    allowed = set(allowed)
    bad = sorted(set(frame[column].dropna().unique()) - allowed, key=str)
    if bad:
        raise InputError(
            f"{source}: column {column} has unexpected value(s) {bad[:5]}; "
            f"allowed: {sorted(allowed, key=str)}"
        )


def require_finite(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    for column in columns:
        if n := int((~np.isfinite(frame[column].to_numpy(dtype=float))).sum()):
            raise InputError(f"{source}: column {column} has {n} non-finite value(s)")
