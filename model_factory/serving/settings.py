"""Settings of the forecast service: environment variables `MODEL_FACTORY_SERVE_<FIELD>`.

`model-factory serve` options override them. The API key itself is never a setting: it is read
from the environment variable named by `api_key_env`, so it stays out of logs and `/models`.
With `precompute` (the default) a version is served only once every store's forecast up to
`max_horizon_days` is computed. Metrics are served on a port of their own (`metrics_port`)
without the key: Prometheus scrapers cannot send an `X-API-Key` header, and the network policy
admits only the monitoring namespace to that port.
"""

import os
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from model_factory.config import describe
from model_factory.errors import InputError
from model_factory.use_cases import FORECASTING  # the service serves this use case's model

ENV_PREFIX = "MODEL_FACTORY_SERVE_"


class ServeSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, protected_namespaces=()
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    metrics_port: int = Field(
        9090, ge=1, le=65535, description="Prometheus metrics, on `host`, without the API key"
    )
    model_name: str = Field(FORECASTING.model_name, min_length=1)
    stage: Literal["production", "staging"] = "production"
    artifact: str = Field(
        FORECASTING.model_artifact, min_length=1, description="the model's artifact"
    )
    reload_interval_seconds: float = Field(
        30.0, gt=0, description="how often the Model Control Plane is asked for the stage holder"
    )
    cache_size: int = Field(10_000, ge=1, description="cached store forecasts (LRU beyond it)")
    cache_ttl_seconds: float = Field(3600.0, gt=0)
    max_items: int = Field(50, ge=1, le=1000, description="store requests per POST /forecast")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="largest request body read; 413 beyond it"
    )
    default_days: int = Field(7, ge=1, description="days forecast when end_date is left out")
    max_horizon_days: int = Field(
        92, ge=1, description="last forecastable day, counted from the training cutoff"
    )
    precompute: bool = Field(
        True, description="forecast every store up to max_horizon_days when a version loads"
    )
    precompute_workers: int | None = Field(
        None, ge=1, description="worker processes of the precompute; default: the usable CPUs"
    )
    api_key_env: str = Field("MODEL_FACTORY_API_KEY", min_length=1)
    api_key_header: str = Field("X-API-Key", min_length=1)
    insecure: bool = Field(False, description="start without an API key (no authentication)")

    @model_validator(mode="after")
    def _ports_differ(self) -> "ServeSettings":
        if self.metrics_port == self.port:
            raise ValueError(f"metrics_port and port are both {self.port}: give each its own")
        return self

    def api_key(self) -> str | None:
        """The key clients must send; None (no authentication) only when `insecure` allows it.

        An unset or empty variable counts as no key; a key that is set is enforced even with
        `insecure`.
        """
        key = os.environ.get(self.api_key_env) or None
        if key is None and not self.insecure:
            raise InputError(
                f"${self.api_key_env} is not set: set the API key clients must send in "
                f"{self.api_key_header}, or pass --insecure to serve without authentication"
            )
        return key


def load_settings(**overrides) -> ServeSettings:
    """Environment, then `overrides` (None means: not given); one-line error when invalid."""
    given = {key: value for key, value in overrides.items() if value is not None}
    # pydantic-settings ignores prefixed variables it has no field for: a typo would silently
    # leave the default in force.
    unknown = sorted(
        name
        for name in os.environ
        if name.startswith(ENV_PREFIX)
        and name[len(ENV_PREFIX) :].lower() not in ServeSettings.model_fields
    )
    if unknown:
        raise InputError(f"unknown serve setting(s) {', '.join(unknown)}: see {__name__}")
    try:
        return ServeSettings(**given)
    except ValidationError as exc:
        raise InputError(describe(exc, "serve settings")) from exc
