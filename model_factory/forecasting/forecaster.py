"""The trained artifact: one chosen model per store, JSON all the way down (no pickles).

`StoreForecaster` maps store id to a `StoreModel`: the candidate chosen on the rolling selection
windows, its training cutoff, its usual weekday opening, its parts (one, or two for
`mean_best_two`: Prophet's own JSON serialisation or the seasonal-naive state) and its interval,
log-quantiles of the residuals the rolling windows left (split conformal). `predict(store,
calendar)` is what batch scoring, the forecast service and the drift checks call; closed days
forecast 0, and nothing is sampled, so equal calls give equal output.

The index names the files it is read from; `inside` keeps every read in the artifact's folder.
"""

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from model_factory.errors import InputError
from model_factory.forecasting import calendar as calendars
from model_factory.forecasting.naive import SeasonalNaive
from model_factory.forecasting.prophet_model import from_json, predict_prophet

FORMAT = "store-forecaster/2"  # /1: one part per store, Prophet-sampled intervals
INDEX_FILE = "index.json"
OUTPUT_COLUMNS = ["Store", "Date", "Open", "forecast", "lower", "upper"]


def store_seed(seed: int, store: int) -> int:
    """The interval-sampling seed of one store: independent of worker and order."""
    return int(np.random.SeedSequence([seed, store]).generate_state(1)[0])


@dataclass(frozen=True)
class Part:
    """One fitted candidate: a Prophet variant (its JSON) or a seasonal naive."""

    candidate: str
    prophet_json: str | None = None
    naive: SeasonalNaive | None = None

    def predict(self, days: pd.DataFrame) -> np.ndarray:
        if self.naive is not None:
            return self.naive.predict(days)
        return predict_prophet(from_json(self.prophet_json), self.candidate, days)


@dataclass(frozen=True)
class StoreModel:
    store: int
    candidate: str
    cutoff: pd.Timestamp
    open_pattern: tuple[float, ...]
    validation_rmspe: dict[str, float]  # selection score per candidate (median over windows)
    parts: tuple[Part, ...] = ()
    log_interval: tuple[float, float] = (0.0, 0.0)
    # {candidate or "selected": ErrorSums dict per window}: the rolling-window comparison
    window_sums: dict = field(default_factory=dict)
    warning: str | None = None
    holiday_days: int = 0  # holiday days in the history it was fitted on

    @property
    def has_prophet(self) -> bool:
        return any(p.prophet_json is not None for p in self.parts)

    def point(self, days: pd.DataFrame) -> np.ndarray:
        """The mean of the parts' forecasts for completed calendar days."""
        return np.mean([part.predict(days) for part in self.parts], axis=0)

    def predict(self, calendar: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
        """Forecast and interval per calendar day; 0 on closed days. (`seed` is kept for
        callers; nothing is sampled.)"""
        days = calendars.complete(calendar, self.open_pattern)
        forecast, lower, upper = (np.zeros(len(days)) for _ in range(3))
        is_open = days["Open"].to_numpy() == 1
        if is_open.any():
            # Every day in view, closed ones too: a closed holiday makes its open neighbours
            # holiday neighbours for the seasonal naive.
            values = self.point(days)[is_open]
            low, high = self.log_interval
            forecast[is_open] = values
            lower[is_open] = values * np.exp(low)
            upper[is_open] = values * np.exp(high)
        return pd.DataFrame(
            {"Store": self.store, "Date": days["Date"], "Open": days["Open"],
             "forecast": forecast, "lower": lower, "upper": upper}
        )  # fmt: skip

    def describe(self) -> dict:
        """JSON-ready state except the Prophet model (stored in a file of its own)."""
        return {
            "store": self.store,
            "candidate": self.candidate,
            "cutoff": self.cutoff.strftime("%Y-%m-%d"),
            "open_pattern": list(self.open_pattern),
            "validation_rmspe": {k: _finite(v) for k, v in self.validation_rmspe.items()},
            "log_interval": list(self.log_interval),
            "window_sums": self.window_sums,
            "warning": self.warning,
            "holiday_days": self.holiday_days,
            "parts": [
                {
                    "candidate": part.candidate,
                    "naive": part.naive.to_dict() if part.naive is not None else None,
                    "prophet_file": prophet_file(self.store, part.candidate)
                    if part.prophet_json is not None
                    else None,
                }
                for part in self.parts
            ],
        }


@dataclass(frozen=True)
class StoreForecaster:
    """Per-store models plus the seed and interval width they were trained with."""

    models: dict[int, StoreModel]
    seed: int
    interval_width: float

    @property
    def stores(self) -> list[int]:
        return sorted(self.models)

    @property
    def cutoff(self) -> pd.Timestamp:
        """The latest training cutoff (all stores share it when trained by one run)."""
        return max(m.cutoff for m in self.models.values())

    def model(self, store: int) -> StoreModel:
        if store not in self.models:
            raise InputError(f"unknown store {store}; this model knows {len(self.models)} stores")
        return self.models[store]

    def predict(
        self, store: int, calendar: pd.DataFrame | None = None, horizon_days: int = 42
    ) -> pd.DataFrame:
        """Forecast one store on `calendar`, or on the `horizon_days` after its cutoff."""
        model = self.model(store)
        if calendar is None:
            calendar = calendars.future_dates(model.cutoff, horizon_days)
        return model.predict(calendar, store_seed(self.seed, store))

    def candidate_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for model in self.models.values():
            counts[model.candidate] = counts.get(model.candidate, 0) + 1
        return dict(sorted(counts.items()))

    def to_files(self) -> dict[str, str]:
        """Relative path -> JSON text: an index plus one Prophet JSON file per store."""
        index = {
            "format": FORMAT,
            "seed": self.seed,
            "interval_width": self.interval_width,
            "stores": [self.models[s].describe() for s in self.stores],
        }
        files = {INDEX_FILE: json.dumps(index, indent=1)}
        for store in self.stores:
            for part in self.models[store].parts:
                if part.prophet_json is not None:
                    files[prophet_file(store, part.candidate)] = part.prophet_json
        return files

    @classmethod
    def from_files(cls, read: Callable[[str], str]) -> "StoreForecaster":
        """Rebuild from `to_files` output; `read(relative_path)` returns a file's text."""
        index = json.loads(read(INDEX_FILE))
        if index.get("format") != FORMAT:
            raise InputError(
                f"the forecaster is format {index.get('format')!r}; this version reads only "
                f"{FORMAT} (retrain it to forecast with this version)"
            )
        models = {}
        for entry in index["stores"]:
            parts = tuple(
                Part(
                    candidate=part["candidate"],
                    prophet_json=read(part["prophet_file"]) if part["prophet_file"] else None,
                    naive=SeasonalNaive.from_dict(part["naive"]) if part["naive"] else None,
                )
                for part in entry["parts"]
            )
            models[int(entry["store"])] = StoreModel(
                store=int(entry["store"]),
                candidate=entry["candidate"],
                cutoff=pd.Timestamp(entry["cutoff"]),
                open_pattern=tuple(entry["open_pattern"]),
                validation_rmspe={
                    k: math.nan if v is None else v for k, v in entry["validation_rmspe"].items()
                },
                parts=parts,
                log_interval=(float(entry["log_interval"][0]), float(entry["log_interval"][1])),
                window_sums=entry["window_sums"],
                warning=entry["warning"],
                holiday_days=int(entry["holiday_days"]),
            )
        return cls(models, int(index["seed"]), float(index["interval_width"]))


def save(forecaster: StoreForecaster, folder: Path) -> None:
    """Write `to_files` into a local folder (a Kubeflow model artifact)."""
    for relative, text in forecaster.to_files().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def load(folder: Path) -> StoreForecaster:
    """Read a folder written by `save`."""
    return StoreForecaster.from_files(
        lambda relative: Path(inside(str(folder), relative)).read_text()
    )


def inside(folder: str, relative: str) -> str:
    """The path of `relative` in the artifact folder `folder` (a local path or a URI).

    InputError when it leads out of the folder: an absolute path or a `..` part, or, in a local
    folder, a symbolic link to somewhere else. The index's file names are data that whoever can
    write the artifact controls; they must not make the loader read other files.
    """
    name = PurePosixPath(relative)
    if name.is_absolute() or ".." in name.parts:
        raise InputError(f"the forecaster names the file {relative!r}, outside its folder {folder}")
    path = os.path.join(folder, relative)
    if os.path.isdir(folder):  # local: symbolic links could lead out
        root, real = os.path.realpath(folder), os.path.realpath(path)
        if os.path.commonpath([root, real]) != root:
            raise InputError(
                f"the forecaster's file {relative!r} links to {real}, outside its folder {folder}"
            )
    return path


def prophet_file(store: int, candidate: str) -> str:
    return f"prophet/store_{store}_{candidate}.json"


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
