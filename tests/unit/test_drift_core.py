"""Drift core on each use case: injected shifts are found on the shifted features only, and
unshifted batches raise at most one alarm in 20 seeds at the default thresholds."""

import datetime as dt

import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from model_factory import splits
from model_factory.bank import data as bank_data
from model_factory.bank import evaluate as bank_evaluate
from model_factory.bank import monitor as bank_monitor
from model_factory.bank import shift as bank_shift
from model_factory.bank.config import BankTrainingConfig
from model_factory.drift import compare
from model_factory.drift.config import DriftThresholds
from model_factory.drift.profile import categorical_profile, numeric_profile
from model_factory.errors import InputError
from model_factory.taxi import data as taxi_data
from model_factory.taxi import model as taxi_model
from model_factory.taxi import monitor as taxi_monitor
from model_factory.taxi import shift as taxi_shift
from model_factory.taxi import simulate
from model_factory.taxi.config import TaxiDetectionConfig

SEEDS = range(20)
MAX_ALARMS = 1  # 5% of 20


class _Thresholded:
    """A quick classifier with the attribute the bank evaluation expects (the monitor only
    needs predict_proba; the drift logic, not the classifier, is under test)."""

    def __init__(self, config: BankTrainingConfig, train: pd.DataFrame):
        encode = ColumnTransformer(
            [
                ("num", StandardScaler(), config.numeric_features),
                ("cat", OneHotEncoder(handle_unknown="ignore"), config.categorical_features),
            ]
        )
        x, y = train[config.features], train[config.target] == config.positive_label
        self.model = make_pipeline(encode, LogisticRegression(max_iter=500)).fit(x, y)
        self.best_threshold_ = 0.5

    def predict_proba(self, x):
        return self.model.predict_proba(x)


@pytest.fixture(scope="module")
def bank():
    config = BankTrainingConfig()
    dataset = bank_data.validate(bank_data.load(config), config)
    train, test = splits.hash_split(dataset, config.features, config.test_fraction, 0)
    classifier = _Thresholded(config, train)
    metrics = bank_evaluate.evaluate(classifier, test, config)
    return bank_monitor.build_profile(dataset, test, classifier, config, metrics), classifier


@pytest.fixture(scope="module")
def taxi():
    config = TaxiDetectionConfig(run_date="2024-06-01")
    reference = taxi_data.validate_rides(taxi_data.load_reference(config))
    detector = taxi_model.fit(reference, config.detector)
    profile = taxi_monitor.build_profile(reference, taxi_model.label(reference, detector))
    return profile, detector, config


def _drifted_features(report) -> set[str]:
    return {c.name for c in report.checks if c.drifted and c.kind in {"numeric", "categorical"}}


def test_bank_no_shift_false_alarms(bank):
    profile, classifier = bank
    config = bank_monitor.BankMonitorConfig()
    alarms = [
        seed
        for seed in SEEDS
        if bank_monitor.check(
            bank_shift.fresh_batch(1000, seed), profile, classifier, config, "1", "batch"
        ).drifted
    ]
    print(f"bank false alarms: {len(alarms)}/{len(SEEDS)} {alarms}")
    assert len(alarms) <= MAX_ALARMS


@pytest.mark.parametrize("seed", [0, 1])
def test_bank_shift_found_on_job_and_balance_only(bank, seed):
    profile, classifier = bank
    batch = bank_shift.shift(bank_shift.fresh_batch(1000, seed), seed)
    report = bank_monitor.check(
        batch, profile, classifier, bank_monitor.BankMonitorConfig(), "1", "shifted"
    )
    assert _drifted_features(report) == set(bank_shift.SHIFTED_FEATURES)
    assert report.drifted and report.metrics()["drifted"]


def test_taxi_no_shift_false_alarms(taxi):
    profile, detector, config = taxi
    monitor_config = taxi_monitor.TaxiMonitorConfig(run_date="2024-06-01")
    alarms = []
    for offset in SEEDS:
        day = dt.date(2024, 6, 1) + dt.timedelta(days=offset)
        rides = taxi_data.validate_rides(simulate.rides_for_day(config.simulator, config.seed, day))
        labels = taxi_model.label(rides, detector)
        if taxi_monitor.check(labels, profile, None, monitor_config, "1", str(day)).drifted:
            alarms.append(day)
    print(f"taxi false alarms: {len(alarms)}/{len(SEEDS)} {alarms}")
    assert len(alarms) <= MAX_ALARMS


def test_taxi_longer_rides_found_on_distance_and_time_only(taxi):
    profile, detector, config = taxi
    day = dt.date(2024, 7, 1)
    rides = taxi_shift.longer_rides(simulate.rides_for_day(config.simulator, 3, day), seed=3)
    labels = taxi_model.label(taxi_data.validate_rides(rides), detector)
    report = taxi_monitor.check(
        labels, profile, None, taxi_monitor.TaxiMonitorConfig(run_date=str(day)), "1", "shifted"
    )
    assert _drifted_features(report) == set(taxi_shift.SHIFTED_FEATURES)


def test_psi_and_tests_agree_on_identical_and_disjoint_samples():
    thresholds = DriftThresholds()
    values = pd.Series(range(1000), dtype=float)
    same = compare.numeric("x", numeric_profile(values, thresholds), values, thresholds)
    moved = compare.numeric("x", numeric_profile(values, thresholds), values + 2000, thresholds)
    assert same.value == pytest.approx(0.0) and not same.drifted
    assert moved.value > 1 and moved.p_value < 1e-6 and moved.drifted
    cats = pd.Series(["a"] * 500 + ["b"] * 500)
    new = compare.categorical("c", categorical_profile(cats), ["c"] * 300, thresholds)
    assert new.drifted and "c" in new.bins


def test_empty_batch_and_missing_feature_are_input_errors(bank):
    profile, classifier = bank
    config = bank_monitor.BankMonitorConfig()
    batch = bank_shift.fresh_batch(50, 0)
    with pytest.raises(InputError, match="no rows"):
        bank_monitor.check(batch.iloc[:0], profile, classifier, config, "1", "empty.csv")
    with pytest.raises(InputError, match="missing column\\(s\\) balance"):
        bank_monitor.check(batch.drop(columns="balance"), profile, classifier, config, "1", "b")
