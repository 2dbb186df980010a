"""Detector behaviour: planted anomalies are flagged, typical rides are not, state is JSON."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from model_factory.taxi import data, evaluate, model, simulate
from model_factory.taxi.config import DetectorConfig, SimulatorConfig
from model_factory.taxi.model import TaxiDetector
from model_factory.taxi.simulate import GROUND_TRUTH

SIM = SimulatorConfig()  # the shipped size: eps and min_samples are tuned to its density
SEED = 42


@pytest.fixture(scope="module")
def detector() -> TaxiDetector:
    return model.fit(data.validate_rides(simulate.reference_rides(SIM, SEED)), DetectorConfig())


@pytest.mark.parametrize("day", [date(2024, 6, 1), date(2024, 12, 24)])
def test_planted_anomalies_are_flagged(detector, day):
    labels = model.label(data.validate_rides(simulate.rides_for_day(SIM, SEED, day)), detector)
    planted = labels[GROUND_TRUTH]
    assert labels.loc[planted, "is_anomaly"].all()
    assert labels.loc[~planted, "is_anomaly"].mean() < 0.002  # a few tail rides, no more
    assert evaluate.summarise(labels)["f1"] > 0.9


def test_evaluation_f1_is_high_and_repeatable(detector):
    first = evaluate.score(detector, simulate.evaluation_rides(SIM, SEED))
    again = evaluate.score(detector, simulate.evaluation_rides(SIM, SEED))
    assert first == again
    assert first["f1"] > 0.9 and first["n_planted"] == 100


def test_a_much_smaller_eps_costs_f1(detector):
    """The metric can tell detectors apart: a tiny eps turns typical rides into noise."""
    tight = detector.model_copy(update={"eps": 0.03})
    evaluation = simulate.evaluation_rides(SIM, SEED)
    f1, tight_f1 = (evaluate.score(d, evaluation)["f1"] for d in (detector, tight))
    assert tight_f1 < f1 - 0.2


def test_directional_far_ride_is_flagged_typical_ride_is_not(detector):
    rides = simulate.rides_for_day(SIM, SEED, date(2024, 6, 1)).drop(columns=GROUND_TRUTH)
    extra = pd.DataFrame(
        {"ride_id": ["far", "usual"], "ride_dist": [38.0, 5.0], "ride_time": [200.0, 10.0]}
    )
    labels = model.label(
        data.validate_rides(pd.concat([rides, extra], ignore_index=True)), detector
    )
    flags = labels.set_index("ride_id")["is_anomaly"]
    assert flags["far"] and not flags["usual"]


def test_row_order_does_not_change_who_is_an_anomaly(detector):
    rides = data.validate_rides(simulate.rides_for_day(SIM, SEED, date(2024, 6, 1)))
    shuffled = rides.sample(frac=1.0, random_state=1).reset_index(drop=True)
    flags = model.label(rides, detector).set_index("ride_id")["is_anomaly"]
    flags_shuffled = model.label(shuffled, detector).set_index("ride_id")["is_anomaly"]
    pd.testing.assert_series_equal(flags.sort_index(), flags_shuffled.sort_index())


def test_scaling_comes_from_the_reference_window_not_the_day(detector):
    reference = data.validate_rides(simulate.reference_rides(SIM, SEED))
    day = data.validate_rides(simulate.rides_for_day(SIM, SEED, date(2024, 6, 1)))
    scaler = StandardScaler().fit(reference[["ride_dist", "ride_time"]])
    expected = scaler.transform(day[["ride_dist", "ride_time"]])
    np.testing.assert_allclose(detector.standardise(day), expected)


def test_detector_round_trips_through_json(detector):
    restored = TaxiDetector.model_validate_json(detector.model_dump_json())
    assert restored == detector


def test_constant_reference_feature_keeps_unit_scale():
    reference = pd.DataFrame({"ride_dist": [2.0] * 20, "ride_time": np.linspace(1, 20, 20)})
    fitted = model.fit(reference, DetectorConfig())
    assert fitted.scale[0] == 1.0 and fitted.mean[0] == 2.0


def test_cluster_has_dbscan_semantics():
    """min_samples counts the point itself; a point with too few neighbours within eps is noise."""
    blob = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]])
    far = np.array([[5.0, 5.0]])
    X = np.vstack([blob, blob + 2.0, far])
    labels = model.cluster(X, eps=0.15, min_samples=3)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, -1]
    assert (model.cluster(X, eps=0.15, min_samples=4) == -1).all()
