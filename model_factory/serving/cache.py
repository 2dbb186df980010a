"""Forecasts already computed (as JSON), bounded in size and age, counted as hits and misses.

Keys start with the model version (`forecasts.cache_key`), so a reload can never serve a forecast
of the previous version; its entries simply age out. Used from the event loop only: cachetools'
caches are not thread-safe.
"""

from collections.abc import Hashable

from cachetools import TTLCache

from model_factory.serving.metrics import ServiceMetrics


class ForecastCache:
    def __init__(self, size: int, ttl_seconds: float, metrics: ServiceMetrics) -> None:
        self._entries: TTLCache = TTLCache(maxsize=size, ttl=ttl_seconds)
        self._metrics = metrics

    def get(self, key: Hashable) -> bytes | None:
        found = self._entries.get(key)
        (self._metrics.cache_misses if found is None else self._metrics.cache_hits).inc()
        return found

    def put(self, key: Hashable, forecast: bytes) -> None:
        self._entries[key] = forecast
