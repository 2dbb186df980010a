"""The anomaly rule at scale: planted anomalies stay anomalies when a day has many more rides.

With a fixed min_samples a bigger batch is a denser one, so planted anomalies gather enough
neighbours to form clusters of their own; `min_samples_fraction` scales min_samples with the
batch. The simulator's ground truth says which rule keeps F1 (benchmarks/taxi_anomaly_rule.py
shows it at 1M and 10M rides).
"""

from datetime import date

import pytest

from model_factory.taxi import data, evaluate, model, simulate
from model_factory.taxi.config import DetectorConfig, SimulatorConfig
from model_factory.taxi.model import TaxiDetector

SEED, DAY = 42, date(2024, 6, 1)
FIXED = DetectorConfig(min_samples_fraction=None)


def day_metrics(n_rides: int, params: DetectorConfig) -> dict:
    """Fit on a reference window of the day's size, label the day, score against ground truth."""
    sim = SimulatorConfig(n_rides=n_rides)
    detector = model.fit(data.validate_rides(simulate.reference_rides(sim, SEED)), params)
    rides = data.validate_rides(simulate.rides_for_day(sim, SEED, DAY))
    return evaluate.summarise(model.label(rides, detector))


@pytest.fixture(scope="module")
def f1_at_10k() -> float:
    """The shipped size, where both rules are the same (0.1% of 10,000 is min_samples = 10)."""
    scaled, fixed = day_metrics(10_000, DetectorConfig()), day_metrics(10_000, FIXED)
    assert scaled == fixed
    return scaled["f1"]


def test_scaled_min_samples_keeps_f1_at_30x_the_rides(f1_at_10k):
    metrics = day_metrics(300_000, DetectorConfig())
    assert metrics["f1"] >= f1_at_10k and metrics["recall"] == 1.0


def test_fixed_min_samples_loses_most_planted_anomalies_at_30x_the_rides(f1_at_10k):
    """The failure the scaled rule fixes: long rides now have neighbours and form clusters."""
    metrics = day_metrics(300_000, FIXED)
    assert metrics["recall"] < 0.5 and metrics["f1"] < f1_at_10k - 0.4
    assert metrics["n_clusters"] > 1


def detector(fraction: float | None, min_samples: int = 10) -> TaxiDetector:
    return TaxiDetector(features=["ride_dist", "ride_time"], mean=[0, 0], scale=[1, 1], eps=0.3,
                        min_samples=min_samples, min_samples_fraction=fraction,
                        n_reference=10_000)  # fmt: skip


@pytest.mark.parametrize(
    ("fraction", "n_rides", "expected"),
    [
        (0.001, 10_000, 10),
        (0.001, 1_000_000, 1_000),
        (0.001, 12_345, 12),
        (0.001, 500, 10),  # never below min_samples: small batches keep the book's rule (ch. 1, 9)
        (None, 10_000_000, 10),
    ],
)
def test_min_samples_for_a_batch(fraction, n_rides, expected):
    assert detector(fraction).min_samples_for(n_rides) == expected


def test_the_rule_travels_with_the_detector_artifact():
    fitted = detector(0.002)
    restored = TaxiDetector.model_validate_json(fitted.model_dump_json())
    assert restored.min_samples_fraction == 0.002 and restored.params() == DetectorConfig(
        min_samples_fraction=0.002
    )


def test_versions_stored_before_the_rule_keep_fixed_min_samples():
    """A JSON artifact without the key (older versions) is read as the rule it was scored with."""
    old = detector(None).model_dump(exclude={"min_samples_fraction"})
    restored = TaxiDetector.model_validate(old)
    assert restored.min_samples_fraction is None
    assert restored.min_samples_for(1_000_000) == 10


def test_labels_keep_the_raw_cluster_beside_is_anomaly():
    """`cluster` is DBSCAN's label at the batch's min_samples; anomalies are its noise."""
    sim = SimulatorConfig(n_rides=20_000)
    rides = data.validate_rides(simulate.rides_for_day(sim, SEED, DAY))
    fitted = model.fit(data.validate_rides(simulate.reference_rides(sim, SEED)), DetectorConfig())
    labels = model.label(rides, fitted)
    expected = model.cluster(fitted.standardise(rides), fitted.eps, 20)
    assert labels["cluster"].tolist() == expected.tolist()
    assert labels["is_anomaly"].equals(labels["cluster"] == model.NOISE)
