"""Request and response bodies of the forecast service (they are its OpenAPI schema).

Requests are strict: a date is an ISO `YYYY-MM-DD` string, a store id a whole number (not "1",
not true), flags are booleans; unknown keys are errors. Checks that need the served model
(known store, dates after its cutoff, horizon) happen in the handler and answer 404 or 422.
"""

import datetime as dt
import functools
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

StateHoliday = Literal["0", "a", "b", "c"]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    """Only 'YYYY-MM-DD' (strict mode alone would refuse JSON strings; lax takes timestamps)."""
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            raise ValueError("expected a date as 'YYYY-MM-DD'")
        return dt.date.fromisoformat(value)
    return value


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 3.0 as an integer, so the API does too (3.5, "3" and true stay errors)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
StoreId = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_whole_number)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DayOverride(_Request):
    """What is known about one future day; a field left out takes the default."""

    date: IsoDate
    promo: bool | None = Field(None, description="default: no promotion")
    open: bool | None = Field(
        None, description="default: open if the store usually opens that weekday and no holiday"
    )
    state_holiday: StateHoliday | None = Field(None, description="'0' none, a/b/c: holiday type")
    school_holiday: bool | None = Field(None, description="default: no school holiday")


class StoreRequest(_Request):
    store_id: StoreId
    begin_date: IsoDate | None = Field(None, description="default: the day after the cutoff")
    end_date: IsoDate | None = Field(None, description="default: begin_date + 6 days")
    overrides: list[DayOverride] = Field(
        default_factory=list, max_length=366, description="per-day facts, dates in the range"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "StoreRequest":
        if self.begin_date and self.end_date and self.begin_date > self.end_date:
            raise ValueError("begin_date must not be after end_date")
        dates = [day.date for day in self.overrides]
        if len(set(dates)) != len(dates):
            raise ValueError("overrides name the same date twice")
        return self


class DayForecast(BaseModel):
    date: dt.date
    open: bool
    forecast: float = Field(..., description="Sales; 0 on closed days")
    lower: float = Field(..., description="lower bound of the model's prediction interval")
    upper: float


class StoreForecast(BaseModel):
    store_id: int
    days: list[DayForecast]


class ForecastResponse(BaseModel):
    model: str
    model_version: str = Field(..., description="the version that made every forecast here")
    stage: str
    forecasts: list[StoreForecast] = Field(..., description="in the order of the request")


def forecast_response_json(model: str, version: str, stage: str, forecasts: list[bytes]) -> bytes:
    """A `ForecastResponse` as JSON, assembled from per-store `StoreForecast` JSON (as cached):
    a cache hit then costs no re-validation or re-serialisation of the forecasts."""
    return _response_opening(model, version, stage) + b",".join(forecasts) + b"]}"


@functools.lru_cache(maxsize=8)
def _response_opening(model: str, version: str, stage: str) -> bytes:
    head = ForecastResponse(model=model, model_version=version, stage=stage, forecasts=[])
    return head.model_dump_json(exclude={"forecasts"}).encode()[:-1] + b',"forecasts":['


class ModelInfo(BaseModel):
    model: str
    stage: str
    version: str
    version_id: str
    training_cutoff: dt.date
    loaded_at: dt.datetime
    checked_at: dt.datetime | None = Field(None, description="last look at the stage holder")
    check_error: str | None = Field(None, description="why the last look or load failed")
    stores: list[int]


class Health(BaseModel):
    status: str
    model_version: str | None = None


class Precomputing(BaseModel):
    model_version: str
    stores_done: int
    stores_total: int


class Readiness(BaseModel):
    status: Literal["loading", "precomputing", "ready"]
    model_version: str | None = Field(None, description="the version served")
    stores: int | None = Field(None, description="stores of the served version")
    precomputing: Precomputing | None = Field(
        None, description="a version whose forecasts are being computed before it is served"
    )


class ErrorBody(BaseModel):
    detail: str
