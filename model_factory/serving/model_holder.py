"""The served model: the version in a stage of the Model Control Plane, replaced when it changes.

`refresh` asks ZenML (the store or server configured for the process) which version holds the
stage and loads it when it is not the one served. With `precompute`, every store's forecast up
to the horizon is computed first (`precompute.build`, progress in `holder.pending`) while the old
version keeps being served. The new `LoadedModel`, forecaster and table together, then replaces
the old one in a single assignment: a request reads `holder.current` once and finishes on that
snapshot, so it never sees a half-filled table, and requests in flight during a reload complete
on the old model. When the lookup, the load or the precompute fails, or the stage is empty, the
loaded version keeps being served and the error is reported.
"""

import asyncio
import datetime as dt
import functools
import logging
import resource
import threading
import time
from dataclasses import dataclass, replace

from zenml.models import ModelVersionResponse
from zenml.utils import source_utils

from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.integrations import zenml_stages
from model_factory.integrations.zenml_lookup import version_artifact
from model_factory.integrations.zenml_runs import PROJECT_ROOT
from model_factory.serving import precompute
from model_factory.serving.metrics import ServiceMetrics
from model_factory.serving.settings import ServeSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    forecaster: StoreForecaster
    model: str
    stage: str
    version: str
    version_id: str
    number: int
    loaded_at: dt.datetime
    table: precompute.ForecastTable | None = None  # None: precompute is off

    @functools.cached_property
    def cutoff(self) -> dt.date:  # a max over the stores: computed once, not per request
        return self.forecaster.cutoff.date()


class ModelHolder:
    def __init__(self, settings: ServeSettings, metrics: ServiceMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.current: LoadedModel | None = None
        self.pending: precompute.Progress | None = None  # the version being precomputed
        self.stopping = threading.Event()  # set at shutdown: a precompute gives up
        self.checked_at: dt.datetime | None = None
        self.check_error: str | None = None

    def refresh(self) -> bool:
        """Load the stage holder if it is not the served version; True when it was replaced.

        Blocking (ZenML calls, artifact reads): run it in a worker thread.
        """
        name, stage = self.settings.model_name, self.settings.stage
        try:
            version = zenml_stages.holder(zenml_stages.get_model(name), stage)
            if version is None:
                self._report(f"no version of {name} holds the stage {stage}")
                return False
            if self.current is not None and str(version.id) == self.current.version_id:
                self._report(None)
                return False
            loaded = LoadedModel(
                forecaster=_load_forecaster(version, self.settings.artifact),
                model=name,
                stage=stage,
                version=version.name,
                version_id=str(version.id),
                number=int(version.number),
                loaded_at=dt.datetime.now(dt.UTC),
            )
            if self.settings.precompute:
                loaded = replace(loaded, table=self._precompute(loaded))
        except Exception as exc:  # the watcher must outlive any failure; it retries next time
            self.metrics.reloads.labels("failed").inc()
            self._report(f"{type(exc).__name__}: {exc}")
            self.pending = None
            return False
        finally:
            self.checked_at = dt.datetime.now(dt.UTC)
        self.current = loaded
        self.pending = None  # only after the swap: /readyz never falls back to "loading"
        self._report(None)
        self.metrics.served(
            name, stage, loaded.version, loaded.number, loaded.loaded_at.timestamp()
        )
        log.info("serving %s version %s (%s)", name, loaded.version, stage)
        return True

    def _precompute(self, loaded: LoadedModel) -> precompute.ForecastTable:
        """Every store's forecast from the day after the cutoff to the last forecastable day."""
        progress = precompute.Progress(loaded.version, len(loaded.forecaster.models))
        self.pending = progress
        workers = self.settings.precompute_workers or precompute.default_workers()
        log.info("precomputing %d stores of version %s on %d worker(s)", progress.stores_total,
                 loaded.version, workers)  # fmt: skip
        start, cpu = time.perf_counter(), _children_cpu_s()
        first = loaded.cutoff + dt.timedelta(days=1)
        last = loaded.cutoff + dt.timedelta(days=self.settings.max_horizon_days)
        table = precompute.build(loaded.forecaster, first, last, workers, progress, self.stopping)
        seconds, cpu = time.perf_counter() - start, _children_cpu_s() - cpu
        self.metrics.precompute_seconds.set(seconds)
        self.metrics.precompute_cpu_seconds.set(cpu)
        log.info(
            "precomputed version %s in %.1f s (workers' CPU %.1f s)", loaded.version, seconds, cpu
        )
        return table

    def _report(self, error: str | None) -> None:
        """Record the outcome of a look; log a problem once, not at every interval."""
        if error is not None and error != self.check_error:
            serving = (
                f"still serving version {self.current.version}" if self.current else "not ready"
            )
            log.warning(
                "%s (%s): %s; %s", self.settings.model_name, self.settings.stage, error, serving
            )
        self.check_error = error

    async def watch(self, interval_seconds: float) -> None:
        """Refresh now, then every `interval_seconds`, off the event loop, until cancelled."""
        while True:
            await asyncio.to_thread(self.refresh)
            await asyncio.sleep(interval_seconds)


def _load_forecaster(version: ModelVersionResponse, artifact: str) -> StoreForecaster:
    # Materializers were recorded relative to the project root (see zenml_runs).
    source_utils.set_custom_source_root(str(PROJECT_ROOT))
    forecaster = version_artifact(version, artifact).load()
    if not isinstance(forecaster, StoreForecaster):
        raise TypeError(f"artifact {artifact!r} is a {type(forecaster).__name__}")
    return forecaster


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished children: the precompute's workers (joined when
    the table is done), the figure least moved by other load on the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
