"""Prophet candidates for one store: additive, multiplicative, or additive on log Sales.

Promo and SchoolHoliday are regressors; state holidays are Prophet holidays, one per type, with
windows around them (stores are closed on the day itself, so the effect lives on the days next
to it); with `holiday_country`, each of the country's holidays is one more, a day either side.
Only open days with Sales > 0 are fitted. Prophet gives point forecasts only (no sampling): the
intervals are calibrated on rolling-origin residuals (`train`), so predictions are deterministic.
"""

import logging
import os
import tempfile
from typing import Any

import numpy as np
import pandas as pd
import ujson

from model_factory.forecasting import holiday_calendar
from model_factory.forecasting.config import (
    MAX_HORIZON_DAYS,
    ForecastTrainingConfig,
    HolidayWindow,
)

# Prophet logs an error when plotly is missing and cmdstanpy logs every fit at INFO.
logging.getLogger("prophet.plot").disabled = True
from cmdstanpy.utils import get_logger as cmdstanpy_logger  # noqa: E402
from prophet import Prophet  # noqa: E402
from prophet.models import CmdStanPyBackend  # noqa: E402
from prophet.serialize import model_from_json, model_to_json  # noqa: E402

VARIANTS: dict[str, tuple[str, bool]] = {  # name -> (seasonality mode, fit on log Sales)
    "prophet_additive": ("additive", False),
    "prophet_multiplicative": ("multiplicative", False),
    "prophet_log": ("additive", True),
}
REGRESSORS = ("Promo", "SchoolHoliday")
HOLIDAY_PREFIX = "state_holiday_"
COUNTRY_PREFIX = "holiday_"
COUNTRY_WINDOW = HolidayWindow(before=1, after=1)


# L-BFGS stops when the gradient relative to the objective is below this many machine epsilons
# (CmdStan's default 1e7): 11% less CPU per store, pooled RMSPE unchanged (24 synthetic stores).
STOP = {"tol_rel_grad": 1e9}


class _JsonBackend(CmdStanPyBackend):
    """Prophet's CmdStan backend, handing CmdStan its data as JSON written by ujson (cmdstanpy
    converts the design matrix value by value: a third of a fit's CPU); the optimizer and its
    settings are Prophet's."""

    def fit(self, stan_init: dict, stan_data: dict, **kwargs: Any):
        if "init" in kwargs:  # warm start: a previous fit's parameters, where shapes agree
            stan_init = self.sanitize_custom_inits(stan_init, kwargs.pop("init"))
        inits, data = self.prepare_data(stan_init, stan_data)
        algorithm = "Newton" if data["T"] < 100 else "LBFGS"
        with tempfile.TemporaryDirectory(prefix="prophet-") as folder:
            paths = {}
            for name, values in (("data", data), ("inits", inits)):
                paths[name] = os.path.join(folder, f"{name}.json")
                with open(paths[name], "w") as file:
                    file.write(ujson.dumps(values))
            args = {**paths, "algorithm": algorithm, "iter": 10_000, **STOP, **kwargs}
            try:
                self.stan_fit = self.model.optimize(**args)
            except RuntimeError:  # as Prophet does: L-BFGS failed, Newton may not
                if args["algorithm"] == "Newton":
                    raise
                self.stan_fit = self.model.optimize(**{**args, "algorithm": "Newton"})
        params = self.stan_to_dict_numpy(
            self.stan_fit.column_names, self.stan_fit.optimized_params_np
        )
        return {name: value.reshape((1, -1)) for name, value in params.items()}


_BACKEND: list[_JsonBackend] = []  # one per process: it locates the CmdStan executable


class _ExpectedWarnings(logging.Filter):
    """Drops Prophet's warning that yearly seasonality is fitted on under two years of history:
    a store needs one year before a window (`min_train_days`), so most window fits log it, a
    line per store and fit at Rossmann scale."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "less than 730 days" not in record.getMessage()


_EXPECTED = _ExpectedWarnings()


def quiet_logs() -> None:
    """Silence cmdstanpy's and Prophet's per-fit lines; other warnings and errors still show."""
    # cmdstanpy sets its logger to DEBUG when it first builds it: build it, then raise the level.
    cmdstanpy_logger().setLevel(logging.WARNING)
    prophet = logging.getLogger("prophet")
    prophet.setLevel(logging.WARNING)
    prophet.addFilter(_EXPECTED)  # once: a filter already there is not added again


def holiday_table(calendar: pd.DataFrame, windows: dict[str, HolidayWindow]) -> pd.DataFrame:
    """Prophet's holidays frame from the StateHoliday column: one holiday name per type."""
    days = calendar.loc[calendar["StateHoliday"] != "0", ["Date", "StateHoliday"]]
    codes = days["StateHoliday"]
    no_window = HolidayWindow()
    return pd.DataFrame(
        {
            "holiday": HOLIDAY_PREFIX + codes,
            "ds": days["Date"],
            "lower_window": [-windows.get(c, no_window).before for c in codes],
            "upper_window": [windows.get(c, no_window).after for c in codes],
        }
    ).reset_index(drop=True)


def country_table(country: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Prophet's holidays frame of a country's calendar, through the longest forecast horizon."""
    days = holiday_calendar.country_holidays(country, first, last)
    return pd.DataFrame(
        {
            "holiday": COUNTRY_PREFIX + days["name"],
            "ds": days["Date"],
            "lower_window": -COUNTRY_WINDOW.before,
            "upper_window": COUNTRY_WINDOW.after,
        }
    )


def fit_prophet(
    history: pd.DataFrame,
    variant: str,
    config: ForecastTrainingConfig,
    init: dict[str, Any] | None = None,
) -> Prophet:
    """Fit one variant on a store's history (all its rows; closed days only feed holidays);
    `init`: `warm_start` of an earlier fit of the same variant."""
    quiet_logs()  # also in worker processes, whatever imported Prophet first
    mode, log_target = VARIANTS[variant]
    settings = config.prophet
    holidays = holiday_table(history, settings.holiday_windows)
    if config.holiday_country:
        first, last = history["Date"].min(), history["Date"].max()
        until = last + pd.Timedelta(days=MAX_HORIZON_DAYS)
        holidays = pd.concat(
            [holidays, country_table(config.holiday_country, first, until)], ignore_index=True
        )
    model = Prophet(
        growth="linear",
        yearly_seasonality=settings.yearly_fourier_order,
        weekly_seasonality=True,
        daily_seasonality=False,
        seasonality_mode=mode,
        holidays=holidays if len(holidays) else None,
        changepoint_prior_scale=settings.changepoint_prior_scale,
        seasonality_prior_scale=settings.seasonality_prior_scale,
        holidays_prior_scale=settings.holidays_prior_scale,
        uncertainty_samples=0,
    )
    for regressor in REGRESSORS:
        model.add_regressor(
            regressor, prior_scale=settings.regressor_prior_scale, standardize=False
        )
    fitted = history[(history["Open"] == 1) & (history["Sales"] > 0)]
    sales = fitted["Sales"].to_numpy(float)
    frame = pd.DataFrame(
        {"ds": fitted["Date"], "y": np.log(sales) if log_target else sales}
        | {r: fitted[r].to_numpy(float) for r in REGRESSORS}
    )
    if not _BACKEND:
        _BACKEND.append(_JsonBackend())
    model.stan_backend = _BACKEND[0]
    return model.fit(frame, **({"init": init} if init else {}))


def warm_start(model: Prophet) -> dict[str, Any]:
    """A fitted model's parameters, as the `init` of the next fit of the same variant (a few more
    weeks of data): the optimizer starts near its answer."""
    return {name: model.params[name][0] for name in ("delta", "beta")} | {
        name: float(model.params[name][0][0]) for name in ("k", "m", "sigma_obs")
    }


def predict_prophet(model: Prophet, variant: str, calendar: pd.DataFrame) -> np.ndarray:
    """Point forecasts on the Sales scale for the calendar's rows; never negative.

    Holidays of a known type in the calendar are added to the model first, so future holidays
    get the effect learnt for their type.
    """
    _, log_target = VARIANTS[variant]
    if model.holidays is not None:
        model.holidays = _with_calendar_holidays(model.holidays, calendar)
    frame = pd.DataFrame(
        {"ds": calendar["Date"].to_numpy()} | {r: calendar[r].to_numpy(float) for r in REGRESSORS}
    )
    values = model.predict(frame)["yhat"].to_numpy(float)
    return np.clip(np.exp(values) if log_target else values, 0, None)


def warm_start_json(text: str) -> dict[str, Any]:
    """`warm_start` of a model in Prophet's JSON, without rebuilding the model."""
    params = ujson.loads(text)["params"]
    return {name: np.asarray(params[name][0], float) for name in ("delta", "beta")} | {
        name: float(params[name][0][0]) for name in ("k", "m", "sigma_obs")
    }


def to_json(model: Prophet) -> str:
    """Prophet's own JSON serialisation (parameters, history, holidays): no pickle."""
    return model_to_json(model)


def from_json(text: str) -> Prophet:
    return model_from_json(text)


def _with_calendar_holidays(known: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    windows = known.groupby("holiday")[["lower_window", "upper_window"]].first()
    days = calendar.loc[calendar["StateHoliday"] != "0", ["Date", "StateHoliday"]]
    names = HOLIDAY_PREFIX + days["StateHoliday"]
    new = pd.DataFrame({"holiday": names.to_numpy(), "ds": days["Date"].to_numpy()})
    new = new[new["holiday"].isin(windows.index)].join(windows, on="holiday")
    combined = pd.concat([known, new], ignore_index=True)
    return combined.drop_duplicates(["holiday", "ds"], ignore_index=True)
