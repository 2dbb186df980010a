"""Parameters of the store sales forecasting pipelines (`parameters.config` in zenml_config/)."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from model_factory.config import DbUrl, KubeflowRegistration, KubeflowServer, StrictModel
from model_factory.forecasting import holiday_calendar
from model_factory.validation import ValueRange

Candidate = Literal[
    "prophet_additive", "prophet_multiplicative", "prophet_log", "seasonal_naive", "naive_level",
    "mean_best_two",
]  # fmt: skip
# One Prophet variant: each costs a fit per selection window, season window, holdout and refit.
# The first is the default a store keeps unless another candidate wins by `switch_margin`;
# multiplicative, as sales are (a promotion lifts a busy Saturday more than a quiet Monday).
CANDIDATES: tuple[Candidate, ...] = (
    "prophet_multiplicative", "seasonal_naive", "naive_level", "mean_best_two",
)  # fmt: skip
COMBINATION = "mean_best_two"  # the mean of the two best other candidates
HolidayType = Literal["a", "b", "c"]
MIN_HOLDOUT_DAYS = 7  # a week: every weekday scored at least once
# Store ids are positive integers everywhere (data, calendars, requests): the forecast table's
# INTEGER column holds up to 2**31 - 1.
MAX_STORE_ID = 2**31 - 1
StoreId = Annotated[int, Field(ge=1, le=MAX_STORE_ID)]


class HolidayWindow(StrictModel):
    """Days before and after a state holiday that get their own effect (stores close on the day)."""

    before: int = Field(0, ge=0, le=14)
    after: int = Field(0, ge=0, le=14)


class ProphetConfig(StrictModel):
    yearly_fourier_order: int = Field(10, ge=1)
    changepoint_prior_scale: float = Field(0.05, gt=0)
    seasonality_prior_scale: float = Field(10.0, gt=0)
    holidays_prior_scale: float = Field(10.0, gt=0)
    regressor_prior_scale: float = Field(10.0, gt=0)
    uncertainty_samples: int = Field(
        1000, ge=100, description="ignored: intervals come from the rolling-origin residuals"
    )
    holiday_windows: dict[HolidayType, HolidayWindow] = Field(
        default_factory=lambda: {
            "a": HolidayWindow(before=1, after=1),
            "b": HolidayWindow(before=2, after=1),
            "c": HolidayWindow(before=3, after=1),
        }
    )


class SyntheticConfig(StrictModel):
    """The seeded Rossmann-shaped generator used when no data file is given."""

    n_stores: int = Field(20, ge=1)
    n_days: int = Field(942, ge=1)
    start_date: dt.date = dt.date(2013, 1, 1)
    seed: int = 7


Measure = Literal["Sales", "Customers"]
# Plausible daily values of one store (Rossmann's largest: 41,551 sales, 7,388 customers), with
# room to spare; a value outside is refused before it reaches a model.
SALES_RANGES: dict[Measure, ValueRange] = {
    "Sales": ValueRange(min=0, max=1e9),
    "Customers": ValueRange(min=0, max=1e7),
}


class KubeflowConfig(KubeflowRegistration):
    """How the Kubeflow pipeline fans out over stores (the ZenML run uses `n_jobs` instead), and
    where it registers its model (`KubeflowRegistration`).

    `parallelism` is fixed when the pipeline is compiled (KFP needs a constant); `store_groups`
    is a pipeline input. Grouping never changes results, only how the work is spread.
    """

    store_groups: int = Field(4, ge=1, description="tasks the stores are split into")
    parallelism: int = Field(2, ge=1, description="group tasks running at once")


class ForecastTrainingConfig(StrictModel):
    data_path: str | None = Field(None, description="Rossmann train.csv; null: synthetic data")
    store_path: str | None = Field(None, description="Rossmann store.csv (optional)")
    synthetic: SyntheticConfig = SyntheticConfig()
    store_ids: list[StoreId] | None = Field(None, min_length=1, description="null: every store")
    ranges: dict[Measure, ValueRange] = Field(
        default_factory=lambda: dict(SALES_RANGES),
        description="plausible values (min, max) per measure; a measure left out keeps its default",
    )
    holdout_days: int = Field(42, ge=MIN_HOLDOUT_DAYS)
    validation_days: int = Field(42, ge=7, description="length of each selection window")
    selection_windows: int = Field(
        4, ge=3, le=12, description="rolling windows before the holdout that choose the model"
    )
    holiday_country: str | None = Field(
        None, description="country calendar (e.g. US, DE) for holidays beyond StateHoliday"
    )
    min_train_days: int = Field(
        364, ge=28, description="history each store needs before a selection window"
    )
    candidates: list[Candidate] = Field(
        list(CANDIDATES), min_length=1, description="the first is each store's default"
    )
    switch_margin: float = Field(
        0.3, ge=0, lt=1,
        description="share by which a candidate's window score must beat the first's to replace it",
    )  # fmt: skip
    interval_width: float = Field(0.95, gt=0, lt=1)
    prophet: ProphetConfig = ProphetConfig()
    refit_on_all_data: bool = True
    kubeflow: KubeflowConfig = KubeflowConfig()
    seed: int = 42
    n_jobs: int = Field(2, ge=-1, description="worker processes; -1: one per core")
    plot_stores: int = Field(4, ge=0, le=12)
    promote: bool = Field(True, description="offer the new version for staging (promotion.yaml)")

    @field_validator("ranges")
    @classmethod
    def _every_measure(cls, ranges: dict) -> dict:
        return {**SALES_RANGES, **ranges}

    @model_validator(mode="after")
    def _distinct(self) -> "ForecastTrainingConfig":
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError("candidates must be distinct")
        if self.store_ids is not None and len(set(self.store_ids)) != len(self.store_ids):
            raise ValueError("store_ids must be distinct")
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be -1 or >= 1")
        if COMBINATION in self.candidates and len(self.candidates) < 3:
            raise ValueError(f"{COMBINATION} needs at least two other candidates")
        if self.holiday_country is not None and not holiday_calendar.supported(
            self.holiday_country
        ):
            raise ValueError(f"holiday_country {self.holiday_country!r} is not a known country")
        return self


# The furthest a batch forecast reaches past the training cutoff: a year, the longest season
# the forecasters model; further out a forecast is an extrapolation of the trend alone.
MAX_HORIZON_DAYS = 366


class ForecastScoringConfig(StrictModel):
    """Batch forecasts for every store with the version in `stage`."""

    calendar_path: str | None = Field(
        None, description="Rossmann test.csv; null: `horizon_days` after the training cutoff"
    )
    horizon_days: int = Field(
        42, ge=1, le=MAX_HORIZON_DAYS, description="used when there is no calendar"
    )
    db_url: DbUrl = Field(
        None, description="SQLAlchemy URL; --db and $MODEL_FACTORY_DB_URL take precedence"
    )
    stage: Literal["staging", "production"] = "production"
    kubeflow: KubeflowServer = KubeflowServer()  # the native KFP pipeline only
