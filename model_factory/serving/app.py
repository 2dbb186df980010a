"""The forecast service: `create_app(settings)` builds the FastAPI app (run it with uvicorn).

The served model comes from the Model Control Plane and is watched in the background
(`ModelHolder`). When a version loads, every store's forecast up to the horizon is computed by
worker processes before the version is served (`precompute`); a request without overrides is then
a slice of that table. Requests with overrides (or every request, with `precompute` off) run
Prophet in one worker thread, off the event loop, and their answers are cached per model version.

Before any of it, `RequestGuard` checks the API key and the body's size without parsing anything,
and bodies are parsed as strict JSON (`strict_json`). The probes, /healthz and /readyz, need no
key; neither do the API docs (/docs, /redoc, /openapi.json): they describe requests and hold no
data, and the schema is built once, so they cost an anonymous caller nothing to ask.

The Prometheus metrics are not on this app: `ServiceMetrics.serve` answers them on a port of their
own, without the key (a scraper cannot send one), which the network policy opens to the
monitoring namespace only.
"""

import asyncio
import contextlib
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Annotated

from fastapi import Body, FastAPI, HTTPException, Request, Response, Security, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader

from model_factory.serving import forecasts, precompute
from model_factory.serving.cache import ForecastCache
from model_factory.serving.guard import RequestGuard
from model_factory.serving.metrics import RequestMetrics, ServiceMetrics
from model_factory.serving.model_holder import LoadedModel, ModelHolder
from model_factory.serving.schemas import (
    ErrorBody,
    ForecastResponse,
    Health,
    ModelInfo,
    Precomputing,
    Readiness,
    StoreRequest,
    forecast_response_json,
)
from model_factory.serving.settings import ServeSettings
from model_factory.serving.strict_json import StrictJSONRoute

DESCRIPTION = """Daily sales forecasts per store from the `{model}` version in stage
**{stage}** of the Model Control Plane. A newly promoted version is picked up within
{interval:g} s, without a restart. Forecasts start after the model's training cutoff and end at
most {horizon} days after it; see `GET /models` for the version, its cutoff and its stores."""


def create_app(settings: ServeSettings) -> FastAPI:
    """The app; raises InputError when no API key is set and `settings.insecure` is False."""
    key = settings.api_key()
    metrics = ServiceMetrics()
    holder = ModelHolder(settings, metrics)
    cache = ForecastCache(settings.cache_size, settings.cache_ttl_seconds, metrics)
    predictor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forecast")

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        watcher = asyncio.create_task(holder.watch(settings.reload_interval_seconds))
        try:
            yield
        finally:
            holder.stopping.set()  # a precompute under way would otherwise hold up the exit
            watcher.cancel()
            predictor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="model-factory forecast service",
        description=DESCRIPTION.format(
            model=settings.model_name,
            stage=settings.stage,
            interval=settings.reload_interval_seconds,
            horizon=settings.max_horizon_days,
        ),
        version="1",
        lifespan=lifespan,
    )
    app.router.route_class = StrictJSONRoute
    app.state.metrics = metrics  # exposed on a port of its own: `metrics.serve`
    public = {"/healthz", "/readyz", app.docs_url, app.redoc_url, app.openapi_url,
              app.swagger_ui_oauth2_redirect_url}  # fmt: skip
    app.add_middleware(
        RequestGuard, header=settings.api_key_header, key=key,
        max_body_bytes=settings.max_body_bytes, public=public - {None},
    )  # fmt: skip
    app.add_middleware(RequestMetrics, metrics=metrics)  # outermost: refusals are counted too

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        """422 naming each wrong field, without echoing what was sent (it may be large)."""
        errors = [{k: v for k, v in error.items() if k != "input"} for error in exc.errors()]
        return JSONResponse(
            {"detail": jsonable_encoder(errors)}, status.HTTP_422_UNPROCESSABLE_CONTENT
        )

    # Checked by RequestGuard before the body is read; declared here for the OpenAPI schema.
    scheme = APIKeyHeader(name=settings.api_key_header, auto_error=False,
                          description=f"the key, in {settings.api_key_header}")  # fmt: skip
    protected = [Security(scheme)] if key else []
    unauthorized = {401: {"model": ErrorBody, "description": "missing or wrong API key"}}
    not_ready = {503: {"model": ErrorBody, "description": "no model version loaded yet"}}

    def served() -> LoadedModel:
        if (loaded := holder.current) is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, _waiting(holder))
        return loaded

    Requests = Annotated[
        list[StoreRequest],
        Body(min_length=1, max_length=settings.max_items, description="one entry per store range"),
    ]

    @app.post(
        "/forecast",
        dependencies=protected,
        response_model=ForecastResponse,
        responses={
            **unauthorized,
            404: {"model": ErrorBody, "description": "a store the model does not know"},
            413: {"model": ErrorBody, "description": "a body over max_body_bytes"},
            **not_ready,
        },
    )
    async def forecast(requests: Requests) -> Response:
        """Forecast each requested store over its date range with the served model version."""
        model = served()  # this request finishes on this version, whatever reloads meanwhile
        unknown = sorted({r.store_id for r in requests} - model.forecaster.models.keys())
        if unknown:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"unknown store(s) {', '.join(map(str, unknown))}: {model.model} version "
                f"{model.version} knows {len(model.forecaster.models)} stores (GET /models)",
            )
        windows, errors = [], []
        for index, request in enumerate(requests):
            try:
                windows.append(
                    forecasts.window(
                        request, model.cutoff, settings.default_days, settings.max_horizon_days
                    )
                )
            except forecasts.OutOfRange as exc:
                errors.append(
                    {"type": "value_error", "loc": ["body", index, *exc.field], "msg": exc.message}
                )
        if errors:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)
        results = [
            await _store_forecast(model, request, begin, end)
            for request, (begin, end) in zip(requests, windows, strict=True)
        ]
        body = forecast_response_json(model.model, model.version, model.stage, results)
        return Response(body, media_type="application/json")

    async def _store_forecast(model: LoadedModel, request: StoreRequest, begin, end) -> bytes:
        """One store's forecast as JSON: from the table, else the cache, else computed (then
        cached)."""
        store, table = request.store_id, model.table
        if not request.overrides and table is not None and table.covers(store, begin, end):
            metrics.table_answers.inc()
            return table.store_json(store, begin, end)
        key = forecasts.cache_key(model.version_id, store, begin, end, request.overrides)
        if (found := cache.get(key)) is not None:
            return found
        if request.overrides:
            compute = partial(
                forecasts.predict_json, model.forecaster, store, begin, end, request.overrides
            )
        else:  # what the table would answer: a slice of the whole horizon
            first = model.cutoff + dt.timedelta(days=1)
            last = model.cutoff + dt.timedelta(days=settings.max_horizon_days)
            compute = partial(
                precompute.horizon_json, model.forecaster, store, first, last, begin, end
            )
        result = await asyncio.get_running_loop().run_in_executor(predictor, compute)
        cache.put(key, result)
        return result

    @app.get("/healthz")
    async def healthz() -> Health:
        """Alive (no authentication): the process answers."""
        return Health(status="alive")

    @app.get(
        "/readyz", responses={503: {"model": Readiness, "description": "no version served yet"}}
    )
    async def readyz(response: Response) -> Readiness:
        """Ready (no authentication) once a model version is loaded and, with `precompute`,
        every store's forecast computed; a newer version being precomputed is reported too."""
        model, pending = holder.current, holder.pending
        progress = pending and Precomputing(
            model_version=pending.version,
            stores_done=pending.stores_done,
            stores_total=pending.stores_total,
        )
        if model is None:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return Readiness(
                status="precomputing" if progress else "loading", precomputing=progress
            )
        return Readiness(status="ready", model_version=model.version,
                         stores=len(model.forecaster.models), precomputing=progress)  # fmt: skip

    @app.get("/models", dependencies=protected, responses={**unauthorized, **not_ready})
    async def models() -> ModelInfo:
        """The served version: name, stage, cutoff, when it was loaded, its stores."""
        model = served()
        return ModelInfo(
            model=model.model,
            stage=model.stage,
            version=model.version,
            version_id=model.version_id,
            training_cutoff=model.cutoff,
            loaded_at=model.loaded_at,
            checked_at=holder.checked_at,
            check_error=holder.check_error,
            stores=model.forecaster.stores,
        )

    return app


def _waiting(holder: ModelHolder) -> str:
    if (pending := holder.pending) is not None:
        return (
            f"no model version loaded yet: precomputing version {pending.version}, "
            f"{pending.stores_done}/{pending.stores_total} stores"
        )
    why = f": {holder.check_error}" if holder.check_error else ""
    return f"no model version loaded yet{why}"
