"""Every store's forecast over the whole horizon, computed when a version loads (`build`), so a
request is answered from a table (a slice of it) instead of waiting for Prophet.

A row is the forecaster's own prediction for the days after the training cutoff up to
`max_horizon_days`, with the default calendar. A request without overrides is always a slice of
such a row, computed on demand (`horizon_json`) when there is no table: a day's forecast must not
depend on the window asked, and Prophet's matrix products can differ in the last bit with the
number of rows (horizons 21 and 49, say, against 92). Both call `StoreForecaster.predict`, which
seeds each store by `store_seed(seed, store)` whatever the worker or order (and samples nothing
today: intervals are calibrated quantiles), so the table and the on-demand path give equal
bytes. Requests with overrides are predicted on their own window, on demand.

Stores are predicted in chunks by worker processes, spawned rather than forked: the service runs
threads (event loop, watcher, metrics server) whose locks a fork would copy mid-use. The table
keeps compact arrays (a boolean and three float64 per store and day: about 2.5 MB for 1,115
stores x 92 days), not a DataFrame per store.
"""

import datetime as dt
import math
import multiprocessing
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model_factory.forecasting.forecaster import StoreForecaster, StoreModel
from model_factory.serving import forecasts

CHUNK_STORES = 16  # stores per task: small enough for progress and balance, large to amortise


@dataclass
class Progress:
    """How far the table of a version is (read by /readyz while a worker thread writes it)."""

    version: str
    stores_total: int
    stores_done: int = 0


@dataclass(frozen=True)
class ForecastTable:
    first: dt.date  # the day after the training cutoff: column 0
    dates: tuple[dt.date, ...]
    rows: dict[int, int]  # store -> row
    is_open: np.ndarray  # (stores, days) bool
    values: np.ndarray  # (stores, 3, days) float64: forecast, lower, upper

    @classmethod
    def empty(cls, stores: list[int], first: dt.date, last: dt.date) -> "ForecastTable":
        dates = tuple(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        return cls(first, dates, {store: i for i, store in enumerate(stores)},
                   np.zeros((len(stores), len(dates)), bool),
                   np.zeros((len(stores), 3, len(dates))))  # fmt: skip

    def put(self, store: int, is_open: np.ndarray, values: np.ndarray) -> None:
        self.is_open[self.rows[store]] = is_open
        self.values[self.rows[store]] = values

    def covers(self, store: int, begin: dt.date, end: dt.date) -> bool:
        return store in self.rows and self.first <= begin and end <= self.dates[-1]

    def store_json(self, store: int, begin: dt.date, end: dt.date) -> bytes:
        """The store's days from `begin` to `end` as `StoreForecast` JSON."""
        row, start = self.rows[store], (begin - self.first).days
        stop = (end - self.first).days + 1
        forecast, lower, upper = self.values[row, :, start:stop].tolist()
        return forecasts.store_json(
            store, self.dates[start:stop], self.is_open[row, start:stop].tolist(), forecast,
            lower, upper,
        )  # fmt: skip


def horizon_json(
    forecaster: StoreForecaster, store: int, first: dt.date, last: dt.date, begin: dt.date,
    end: dt.date,
) -> bytes:  # fmt: skip
    """On demand, what the table answers: the store's forecast from `first` to `last`, sliced
    from `begin` to `end` (blocking: Prophet runs here)."""
    table = ForecastTable.empty([store], first, last)
    table.put(*predict_rows(forecaster, [store], first, last)[0])
    return table.store_json(store, begin, end)


def predict_rows(
    forecaster: StoreForecaster, stores: list[int], first: dt.date, last: dt.date
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(store, open days, [forecast, lower, upper]) per store, days `first` to `last`."""
    out = []
    for store in stores:
        days = forecasts.predict_days(forecaster, store, first, last, [])
        columns = days[["forecast", "lower", "upper"]].to_numpy(float).T
        out.append((store, days["Open"].to_numpy() == 1, columns))
    return out


def default_workers() -> int:
    """The CPUs this process may use: its affinity, capped by a cgroup (v2) CPU quota, since a
    container limited to one CPU gains nothing from a second worker."""
    cpus = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
    except (OSError, ValueError):
        return cpus
    return cpus if quota == "max" else max(1, min(cpus, math.ceil(int(quota) / int(period))))


class Stopped(Exception):
    """The service is shutting down: the table was abandoned."""


def build(
    forecaster: StoreForecaster,
    first: dt.date,
    last: dt.date,
    workers: int,
    progress: Progress,
    stop: threading.Event,
) -> ForecastTable:
    """Every store's forecast from `first` to `last`, on `workers` processes (blocking); raises
    Stopped soon after `stop` is set (chunks already running finish first)."""
    stores = forecaster.stores
    chunks = [stores[i : i + CHUNK_STORES] for i in range(0, len(stores), CHUNK_STORES)]
    table = ForecastTable.empty(stores, first, last)
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max(1, min(workers, len(chunks))), mp_context=context)
    try:
        pending = {
            pool.submit(_predict_chunk, {s: forecaster.models[s] for s in chunk},
                        forecaster.seed, forecaster.interval_width, first, last)
            for chunk in chunks
        }  # fmt: skip
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            if stop.is_set():
                raise Stopped(f"precompute of version {progress.version} stopped")
            for future in done:
                for row in future.result():
                    table.put(*row)
                    progress.stores_done += 1
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return table


def _predict_chunk(
    models: dict[int, StoreModel], seed: int, interval_width: float, first: dt.date, last: dt.date
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """In a worker: the rows of a chunk of stores (only their models travel)."""
    return predict_rows(StoreForecaster(models, seed, interval_width), list(models), first, last)
