"""Forecasting drift on a small Prophet model: lost promo effects and level changes are found
on exactly the shifted stores, and unshifted 6-week batches raise at most one alarm in 20."""

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
    alarms = {}
    for skip in range(20):
        batch = shift.next_days(CONFIG.synthetic, 42, skip)
        report = monitor.check(batch, profile, forecaster, config, "1", f"skip {skip}")
        if report.drifted:
            alarms[skip] = report.drifted_checks
    print(f"forecasting false alarms: {len(alarms)}/20 {alarms}")
    assert len(alarms) <= 1


def test_level_and_promo_shifts_found_on_their_stores_only(trained):
    profile, forecaster = trained
    batch = shift.next_days(CONFIG.synthetic, 42)
    level, promo = shift.pick_stores(batch["Store"], seed=1, n=2)
    report = monitor.check(
        shift.shift(batch, level, promo), profile, forecaster, monitor.ForecastMonitorConfig(),
        "1", "shifted",
    )  # fmt: skip
    drifted = {c.name for c in report.checks if c.drifted and c.kind == "store"}
    assert {f"store {s} level" for s in level} <= drifted
    assert {f"store {s} promo effect" for s in promo} <= drifted
    shifted_stores = {str(s) for s in level + promo}
    assert all(name.split()[1] in shifted_stores for name in drifted), drifted
