"""Input checks shared by every use case: each failure is one line naming the problem."""

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types
from pydantic import model_validator

from model_factory.config import StrictModel
from model_factory.errors import InputError


class ValueRange(StrictModel):
    """The plausible values of a measure, both bounds included. A value outside is not data (an
    overflow, a unit mix-up, a sentinel): it is refused before it reaches a model, and whatever
    is derived from values inside stays finite."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> "ValueRange":
        if not (math.isfinite(self.min) and math.isfinite(self.max) and self.min <= self.max):
            raise ValueError("min and max must be finite numbers with min <= max")
        return self


# `csv_separator: auto` in a config: the separator is read off the file's header line.
AUTO_SEPARATOR = "auto"
SEPARATORS = (";", ",", "\t", "|")


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


def detect_separator(header: str) -> str:
    """The separator of a CSV header line: whichever of `;` `,` tab `|` it holds most of (a
    one-column file has none: comma)."""
    counts = {separator: header.count(separator) for separator in SEPARATORS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _first_line(source) -> str:
    if hasattr(source, "readline"):
        line = source.readline()
        source.seek(0)
    else:
        with open(source, "rb") as handle:
            line = handle.readline()
    return line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line


def _read(source, suffix: str, csv_options: dict, name: str | Path) -> pd.DataFrame:
    try:
        if suffix.lower() in {".parquet", ".pq"}:
            frame = pd.read_parquet(source)
            columns = list(frame.columns)
        else:
            if csv_options.get("sep") == AUTO_SEPARATOR:
                csv_options = {**csv_options, "sep": detect_separator(_first_line(source))}
            columns = _csv_header(source, csv_options.get("sep", ","))
            frame = pd.read_csv(source, **csv_options)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{name}: cannot be read as a table ({exc})") from exc
    if repeated := sorted({str(c) for c in columns if columns.count(c) > 1}):
        raise InputError(f"{name}: duplicate column name(s) {', '.join(repeated)}")
    return frame


def _csv_header(source, separator: str) -> list:
    """The header's names as written: pandas renames a repeated `x` to `x.1`, which would
    silently pick one of the two columns."""
    try:
        header = pd.read_csv(source, sep=separator, header=None, nrows=1, dtype=str)
    except pd.errors.EmptyDataError:
        return []
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    return header.iloc[0].tolist() if len(header) else []


def _read_uri(uri: str, csv_options: dict) -> pd.DataFrame:
    """Opened by fsspec itself: pandas 3 refuses the fsspec that gcsfs (ZenML's GCP) pins."""
    import fsspec

    from model_factory.object_store import access_errors

    suffix = Path(uri.rpartition("/")[2]).suffix
    try:
        with fsspec.open(uri, "rb") as handle:
            return _read(handle, suffix, csv_options, uri)
    except InputError:
        raise
    except access_errors() as exc:  # missing object, unknown protocol, no credentials
        raise InputError(f"{uri}: cannot be read ({exc})") from exc


def written_separator(configured: str) -> str:
    """The separator to write a CSV with that is read back with `configured`."""
    return "," if configured == AUTO_SEPARATOR else configured


def as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`frame` with `columns` as strings, missing values kept missing (not the text "nan")."""
    out = frame.copy()
    for column in columns:
        out[column] = out[column].where(out[column].isna(), out[column].astype(str))
    return out


def missing_counts(frame: pd.DataFrame, columns: list[str]) -> dict[str, int]:
    """Missing values per column, for the columns that have any."""
    counts = frame[columns].isna().sum()
    return {column: int(n) for column, n in counts.items() if n}


def require_table(
    frame: pd.DataFrame, columns: Iterable[str], numeric: Iterable[str], source: str
) -> None:
    """What a table with no missing values starts with: rows, the `columns` present and
    complete, the `numeric` ones (among them) numbers and finite."""
    require_rows(frame, source)
    require_columns(frame, columns, source)
    require_no_nulls(frame, columns, source)
    require_numeric(frame, numeric, source)
    require_finite(frame, numeric, source)


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


def require_in_range(
    frame: pd.DataFrame, column: str, bounds: ValueRange, source: str, allow_missing: bool = False
) -> None:
    """Every value of a numeric column within its plausible range (non-finite ones are not,
    missing ones are skipped when `allow_missing`)."""
    values = frame[column].to_numpy(dtype=float)
    if allow_missing:
        values = values[~np.isnan(values)]
    for outside, rule in (
        (~(values >= bounds.min), f">= {_number(bounds.min)}"),
        (~(values <= bounds.max), f"<= {_number(bounds.max)}"),
    ):
        if n := int(outside.sum()):
            raise InputError(
                f"{source}: column {column} must be {rule} ({n} row(s) are not, "
                f"e.g. {_number(values[outside][0])})"
            )


def _number(value: float) -> str:
    """Whole numbers written out (2147483647, not 2.14748e+09), others in short form."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else f"{value:g}"


def require_printable(values: pd.Series, column: str, source: str) -> None:
    """Ids are printable text: a NUL byte or a control character is not an id (and breaks
    databases' bulk loads and every log line that shows it)."""
    bad = ~values.astype(str).map(str.isprintable).astype(bool)
    if n := int(bad.sum()):
        raise InputError(
            f"{source}: column {column} must be printable text ({n} value(s) hold control "
            f"characters, e.g. {values[bad].iloc[0]!r})"
        )


def require_finite(
    frame: pd.DataFrame, columns: Iterable[str], source: str, allow_missing: bool = False
) -> None:
    """No infinities, and no NaN unless `allow_missing` (a missing value the model imputes)."""
    for column in columns:
        values = frame[column].to_numpy(dtype=float)
        bad = np.isinf(values) if allow_missing else ~np.isfinite(values)
        if n := int(bad.sum()):
            raise InputError(f"{source}: column {column} has {n} non-finite value(s)")
