"""Prometheus metrics of the forecast service, in a registry of its own per app, served on a port
of their own (`ServiceMetrics.serve`; the names are listed in docs/serving.md).

Request counts and latencies are recorded by a plain ASGI middleware (Starlette's
`BaseHTTPMiddleware` costs a task per request) and labelled by route template, never by raw path,
so unknown URLs cannot grow the label set.
"""

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from model_factory.errors import InputError

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "forecast_service_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "forecast_service_request_duration_seconds", "Time to answer an HTTP request",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.cache_hits = Counter(
            "forecast_cache_hits", "Store forecasts answered from the cache", registry=r
        )
        self.cache_misses = Counter(
            "forecast_cache_misses", "Store forecasts computed by the model", registry=r
        )
        self.table_answers = Counter(
            "forecast_table_answers",
            "Store forecasts answered from the precomputed table",
            registry=r,
        )
        self.precompute_seconds = Gauge(
            "forecast_precompute_seconds",
            "Time to precompute every store's forecast of the last version loaded",
            registry=r,
        )
        self.precompute_cpu_seconds = Gauge(
            "forecast_precompute_cpu_seconds",
            "CPU time the precompute's worker processes took for the last version loaded",
            registry=r,
        )
        self.model_info = Gauge(
            "forecast_model_info",
            "1 for the served model version",
            ["model", "stage", "version"],
            registry=r,
        )
        self.model_version = Gauge(
            "forecast_model_version_number", "Number of the served model version", registry=r
        )
        self.model_loaded_at = Gauge(
            "forecast_model_loaded_timestamp_seconds",
            "When the served version was loaded",
            registry=r,
        )
        self.reloads = Counter(
            "forecast_model_reloads",
            "Model loads by outcome (loaded, failed)",
            ["outcome"],
            registry=r,
        )

    def served(self, model: str, stage: str, version: str, number: int, loaded_at: float) -> None:
        self.model_info.clear()
        self.model_info.labels(model, stage, version).set(1)
        self.model_version.set(number)
        self.model_loaded_at.set(loaded_at)
        self.reloads.labels("loaded").inc()

    def serve(self, host: str, port: int) -> None:
        """Answer GET /metrics on `host:port`, without authentication, from a daemon thread.

        prometheus_client's own threaded HTTP server: scrapes never queue behind the event loop
        or a forecast, and the thread ends with the process.
        """
        try:
            start_http_server(port, host, registry=self.registry)
        except OSError as exc:
            raise InputError(f"cannot serve metrics on {host}:{port}: {exc.strerror}") from exc


class RequestMetrics:
    """ASGI middleware: count and time every HTTP request by method, route and status."""

    def __init__(self, app, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.metrics.latency.labels(method, path).observe(time.perf_counter() - start)
            self.metrics.requests.labels(method, path, str(status)).inc()
