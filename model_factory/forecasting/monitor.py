"""Drift of the store forecaster: per-store level, promotion effect and weekly profile, the
forecast distribution, and the RMSPE on the batch's actual sales.

Store checks work on log residuals log(actual / forecast) of the production model: the forecast
already carries trend, yearly and weekly seasonality, promotions and holidays, so a residual
that moves means the store changed, not the calendar. The reference is the same residual over
the training run's holdout (forecast by models that had not seen it, as the batch is).

The weekly profile is the mean residual per weekday, on days without promotion (Rossmann
promotes Monday to Friday every other week: on promo days a lost promotion effect would read as
a weekly change, and it has a check of its own). A store whose trade moves between weekdays
(say from Saturday to Monday-Friday) shifts some weekdays' residuals against the others; a level
change shifts them all alike and is not a weekly change. The weekly check therefore takes each
weekday's shift minus the store's common (inverse-variance weighted) shift: its largest absolute
value must exceed `weekly_profile` AND Cochran's homogeneity statistic of the shifts, with
variances from the batch's and the reference's within-weekday residual spread and the number of
days behind each weekday mean, must be significant (F test: the spreads are estimated). Six
weeks give about six days per weekday, so the noise of a batch's weekday means is large; the
test carries it, where a fixed tolerance on raw weekday shares raised alarms on most batches.
"""

import numpy as np
import pandas as pd
from pydantic import Field
from scipy import stats

from model_factory.config import StrictModel
from model_factory.drift import compare
from model_factory.drift.compare import Check
from model_factory.drift.config import DriftThresholds
from model_factory.drift.profile import (
    ReferenceProfile,
    StoreProfile,
    WeeklyProfile,
    numeric_profile,
)
from model_factory.drift.report import DriftReport, new_report
from model_factory.errors import InputError
from model_factory.forecasting import data
from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.forecasting.metrics import rmspe, scored_rows
from model_factory.forecasting.use_case import USE_CASE
from model_factory.validation import read_table

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ForecastMonitorConfig(StrictModel):
    data_path: str | None = Field(None, description="the batch: rows shaped like train.csv")
    drift: DriftThresholds = DriftThresholds()
    store_level: float = Field(
        0.3, gt=0, description="a store's mean log residual moved by more (~30%): drift"
    )
    promo_effect: float = Field(
        0.15, gt=0, description="a store's promo-day minus other-day residual moved by more: drift"
    )
    weekly_profile: float = Field(
        0.15,
        gt=0,
        description="a store's weekday residual moved by more than its other days (~15%): drift",
    )
    max_rmspe_increase: float = Field(0.05, gt=0, description="RMSPE above the version's by more")


def residuals(frame: pd.DataFrame) -> pd.DataFrame:
    """Scored rows (open, sales > 0, forecast > 0) with their log residual."""
    rows = frame[scored_rows(frame) & (frame["forecast"] > 0)]
    return rows.assign(residual=np.log(rows["Sales"] / rows["forecast"]))


def store_profile(rows: pd.DataFrame) -> StoreProfile:
    return StoreProfile(
        level=float(rows["residual"].mean()),
        residual_sd=float(rows["residual"].std(ddof=1)) if len(rows) > 1 else 0.0,
        n=len(rows),
        promo_effect=_promo_effect(rows),
        weekly=weekly_profile(rows[rows["Promo"] == 0]),
    )


def weekly_profile(rows: pd.DataFrame) -> WeeklyProfile | None:
    """Mean residual per weekday with two or more days (pass days without promotion); None
    when fewer than two such weekdays (nothing to compare a weekday with)."""
    weekday = rows["Date"].dt.day_of_week + 1
    counts = weekday.value_counts()
    kept = counts.index[counts >= 2]
    if len(kept) < 2:
        return None
    mine = weekday.isin(kept)
    residual, day = rows.loc[mine, "residual"], weekday[mine]
    means = residual.groupby(day).mean()
    spread = float(((residual - day.map(means)) ** 2).sum())
    dof = int(mine.sum()) - len(kept)
    return WeeklyProfile(
        means={str(d): float(m) for d, m in means.sort_index().items()},
        counts={str(d): int(counts[d]) for d in sorted(kept)},
        sd=float(np.sqrt(spread / dof)) if dof > 0 else 0.0,
    )


def build_profile(
    holdout_forecasts: pd.DataFrame, metrics: dict, thresholds: DriftThresholds = DriftThresholds()
) -> ReferenceProfile:
    rows = residuals(holdout_forecasts)
    return ReferenceProfile(
        use_case=USE_CASE.name,
        n_rows=len(holdout_forecasts),
        prediction=numeric_profile(np.log(rows["forecast"]), thresholds),
        performance={"rmspe": float(metrics["rmspe"])},
        stores={str(s): store_profile(frame) for s, frame in rows.groupby("Store")},
    )


def load_batch(config: ForecastMonitorConfig) -> pd.DataFrame:
    return read_table(config.data_path, **data.CSV_OPTIONS)


def source(config: ForecastMonitorConfig) -> str | None:
    """How a drift report names the batch."""
    return config.data_path


def validate_batch(batch: pd.DataFrame, profile: ReferenceProfile, source: str) -> pd.DataFrame:
    """Rows shaped like train.csv, for stores the version knows, with open days to score."""
    frame = data.validate_rows(batch, source)
    unknown = sorted(set(frame["Store"].astype(str)) - set(profile.stores), key=int)
    if unknown:
        raise InputError(f"{source}: store(s) the model version does not know: {unknown[:5]}")
    if not scored_rows(frame).any():
        raise InputError(f"{source}: no open days with sales to compare")
    return frame


def forecast(batch: pd.DataFrame, forecaster: StoreForecaster) -> pd.DataFrame:
    """The batch with the production model's forecast of each row."""
    parts = []
    for store, rows in batch.groupby("Store", sort=True):
        predicted = forecaster.predict(
            int(store), rows[["Date", "Open", "Promo", "StateHoliday", "SchoolHoliday"]]
        )
        parts.append(rows.assign(forecast=predicted["forecast"].to_numpy()))
    return pd.concat(parts, ignore_index=True)


def check(
    batch: pd.DataFrame,
    profile: ReferenceProfile,
    forecaster: StoreForecaster,
    config: ForecastMonitorConfig,
    version: str,
    source: str,
) -> DriftReport:
    frame = forecast(validate_batch(batch, profile, source), forecaster)
    rows = residuals(frame)
    checks = []
    for store, store_rows in rows.groupby("Store", sort=True):
        checks += store_checks(str(store), profile.stores[str(store)], store_rows, config)
    checks.append(
        compare.numeric(
            "forecast (log)",
            profile.prediction,
            np.log(rows["forecast"]),
            config.drift,
            "prediction",
        )
    )
    checks.append(
        compare.performance(
            "rmspe",
            profile.performance["rmspe"],
            rmspe(rows["Sales"], rows["forecast"]),
            config.max_rmspe_increase,
            higher_is_better=False,
        )
    )
    return new_report(USE_CASE, profile, checks, version, source, len(frame))


def store_checks(
    store: str, reference: StoreProfile, rows: pd.DataFrame, config: ForecastMonitorConfig
) -> list[Check]:
    """Level: the mean residual moved (and Welch's t-test agrees); promo effect: the gap
    between promo-day and other-day residuals moved; weekly profile: see the module doc."""
    batch = store_profile(rows)
    shift = batch.level - reference.level
    p_value = (
        float(
            stats.ttest_ind_from_stats(
                batch.level,
                max(batch.residual_sd, 1e-9),
                batch.n,
                reference.level,
                max(reference.residual_sd, 1e-9),
                reference.n,
                equal_var=False,
            ).pvalue
        )
        if batch.n > 1 and reference.n > 1
        else 1.0
    )
    checks = [
        _store_check(
            store,
            "level",
            "mean log residual shift",
            abs(shift),
            config.store_level,
            config,
            test="welch t",
            p_value=p_value,
        )
    ]
    if reference.promo_effect is not None and batch.promo_effect is not None:
        moved = abs(batch.promo_effect - reference.promo_effect)
        checks.append(
            _store_check(
                store,
                "promo effect",
                "promo residual gap shift",
                moved,
                config.promo_effect,
                config,
            )
        )
    if reference.weekly is not None and batch.weekly is not None:
        checks += weekly_check(store, reference.weekly, batch.weekly, config)
    return checks


def weekly_check(
    store: str, reference: WeeklyProfile, batch: WeeklyProfile, config: ForecastMonitorConfig
) -> list[Check]:
    """The largest weekday shift beyond the store's common shift, with its F test (none when
    the two sides share fewer than two weekdays)."""
    days = sorted(set(reference.means) & set(batch.means), key=int)
    if len(days) < 2:
        return []
    shift = np.array([batch.means[d] - reference.means[d] for d in days])
    variance = np.array(
        [batch.sd**2 / batch.counts[d] + reference.sd**2 / reference.counts[d] for d in days]
    )
    weight = 1 / np.maximum(variance, 1e-12)
    moved = shift - np.sum(weight * shift) / np.sum(weight)
    statistic = float(np.sum(weight * moved**2)) / (len(days) - 1)
    dof = min(batch.dof, reference.dof)
    p_value = float(stats.f.sf(statistic, len(days) - 1, dof)) if dof > 0 else 1.0
    value = float(np.max(np.abs(moved)))
    names = [WEEKDAYS[int(d) - 1] for d in days]
    return [
        _store_check(
            store,
            "weekly profile",
            "largest weekday residual shift",
            value,
            config.weekly_profile,
            config,
            test="F (weekday homogeneity)",
            p_value=p_value,
            bins=names,
            reference=_centred([reference.means[d] for d in days]),
            batch=_centred([batch.means[d] for d in days]),
        )
    ]


def _store_check(
    store: str,
    what: str,
    statistic: str,
    value: float,
    threshold: float,
    config: ForecastMonitorConfig,
    test: str | None = None,
    p_value: float | None = None,
    **plotted,
) -> Check:
    """A store's check: drift when `value` is above its threshold and, for a tested statistic,
    the test is significant too (a store's few weeks of days are noisy)."""
    significant = p_value is None or p_value < config.drift.p_value
    return Check(
        name=f"store {store} {what}",
        kind="store",
        statistic=statistic,
        value=value,
        threshold=threshold,
        test=test,
        p_value=p_value,
        p_threshold=None if p_value is None else config.drift.p_value,
        drifted=value > threshold and significant,
        **plotted,
    )


def _centred(values: list[float]) -> list[float]:
    """Weekday residuals around their mean: the weekly shape, without the store's level."""
    return (np.asarray(values) - np.mean(values)).tolist()


def _promo_effect(rows: pd.DataFrame) -> float | None:
    """Compared on the weekdays promotions ran (Rossmann: Monday-Friday), so that a change of
    the weekly pattern (say Saturdays) does not read as a change of the promotion effect."""
    weekday = rows["Date"].dt.day_of_week
    rows = rows[weekday.isin(weekday[rows["Promo"] == 1])]
    promo = rows["Promo"] == 1
    if promo.all() or not promo.any():
        return None
    return float(rows.loc[promo, "residual"].mean() - rows.loc[~promo, "residual"].mean())
