"""Forecasting drift on a small Prophet model: lost promo effects, level changes and moved weekly
patterns are found on exactly the shifted stores, and unshifted 6-week batches raise at most
one alarm in 20."""

import pytest

from model_factory.forecasting import data, evaluate, monitor, shift, train
from model_factory.forecasting.config import ForecastTrainingConfig, SyntheticConfig

pytestmark = [pytest.mark.slow]  # a Prophet fit per store and 20 batches: ~45 s

CONFIG = ForecastTrainingConfig(
    synthetic=SyntheticConfig(n_stores=6, n_days=942, seed=7),
    candidates=["prophet_log"],
    prophet={"uncertainty_samples": 100},
    n_jobs=1,
)


@pytest.fixture(scope="module")
def trained():
    sales = data.validate(data.load(CONFIG)[0], CONFIG)
    holdout, evaluated = train.backtest(sales, CONFIG)
    profile = monitor.build_profile(holdout, evaluate.pooled_metrics(holdout))
    return profile, train.refit(sales, evaluated, CONFIG)


def test_no_shift_false_alarms(trained):
    profile, forecaster = trained
    config = monitor.ForecastMonitorConfig()
    alarms, weekly = {}, []
    for skip in range(20):
        batch = shift.next_days(CONFIG.synthetic, 42, skip)
        report = monitor.check(batch, profile, forecaster, config, "1", f"skip {skip}")
        if report.drifted:
            alarms[skip] = report.drifted_checks
        weekly += [c for c in report.checks if c.name.endswith("weekly profile")]
    print(f"forecasting false alarms: {len(alarms)}/20 {alarms}")
    assert len(alarms) <= 1
    assert len(weekly) == 20 * CONFIG.synthetic.n_stores  # every store's week was checked


def test_level_and_promo_shifts_found_on_their_stores_only(trained):
    profile, forecaster = trained
    batch = shift.next_days(CONFIG.synthetic, 42)
    level, promo, _ = shift.pick_stores(batch["Store"], seed=1, n=2)
    report = monitor.check(
        shift.shift(batch, level, promo), profile, forecaster, monitor.ForecastMonitorConfig(),
        "1", "shifted",
    )  # fmt: skip
    drifted = {c.name for c in report.checks if c.drifted and c.kind == "store"}
    assert {f"store {s} level" for s in level} <= drifted
    assert {f"store {s} promo effect" for s in promo} <= drifted
    shifted_stores = {str(s) for s in level + promo}
    assert all(name.split()[1] in shifted_stores for name in drifted), drifted
    assert not any(name.endswith("weekly profile") for name in drifted)  # weeks kept their shape


@pytest.mark.parametrize("seed", [1, 2])
def test_weekly_shift_found_by_the_weekly_check_on_its_stores_only(trained, seed):
    """Weekend trade moved to the weekdays keeps each store's total: its level and promotion
    checks stay quiet, its weekly profile drifts, and the forecast distribution (the calendar's)
    does not move."""
    profile, forecaster = trained
    batch = shift.next_days(CONFIG.synthetic, 42, seed)
    _, _, weekly = shift.pick_stores(batch["Store"], seed=seed, n=2)
    assert len(weekly) == 2
    report = monitor.check(
        shift.shift(batch, weekly_stores=weekly), profile, forecaster,
        monitor.ForecastMonitorConfig(), "1", "weekly shift",
    )  # fmt: skip
    drifted = {c.name for c in report.checks if c.drifted and c.kind in {"store", "prediction"}}
    assert drifted == {f"store {s} weekly profile" for s in weekly}
    saturday = {c.name: c for c in report.checks}[f"store {weekly[0]} weekly profile"]
    day = saturday.bins.index("Sat")
    assert saturday.batch[day] < saturday.reference[day] - 0.2  # Saturday lost trade
