"""The synthetic ride source: seeded, different per date, contract-valid, ground truth kept."""

from datetime import date

import pandas as pd
import pytest

from model_factory.taxi import data, simulate
from model_factory.taxi.config import SimulatorConfig
from model_factory.taxi.simulate import GROUND_TRUTH

SIM = SimulatorConfig(n_rides=2_000, anomaly_fraction=0.02)
DAY = date(2024, 6, 1)


def test_same_seed_and_date_give_the_same_rides():
    pd.testing.assert_frame_equal(
        simulate.rides_for_day(SIM, 7, DAY), simulate.rides_for_day(SIM, 7, DAY)
    )


@pytest.mark.parametrize(("seed", "day"), [(7, date(2024, 6, 2)), (8, DAY)])
def test_another_date_or_seed_gives_other_rides(seed, day):
    base = simulate.rides_for_day(SIM, 7, DAY)
    other = simulate.rides_for_day(SIM, seed, day)
    assert not base["ride_dist"].equals(other["ride_dist"])


def test_reference_and_evaluation_sets_are_fixed_and_distinct_from_days():
    reference = simulate.reference_rides(SIM, 7)
    evaluation = simulate.evaluation_rides(SIM, 7)
    pd.testing.assert_frame_equal(reference, simulate.reference_rides(SIM, 7))
    pd.testing.assert_frame_equal(evaluation, simulate.evaluation_rides(SIM, 7))
    day = simulate.rides_for_day(SIM, 7, DAY)
    assert len({tuple(f["ride_dist"].round(9)[:5]) for f in (reference, evaluation, day)}) == 3


def test_rides_meet_the_contract_and_keep_planted_ground_truth():
    rides = simulate.rides_for_day(SIM, 7, DAY)
    valid = data.validate_rides(rides)
    assert len(valid) == SIM.n_rides
    assert int(valid[GROUND_TRUTH].sum()) == round(SIM.n_rides * SIM.anomaly_fraction)
    assert valid["ride_id"].str.startswith("20240601-").all()
    assert (valid["ride_speed"] > 0).all()


def test_planted_anomalies_are_long_in_distance_or_time():
    rides = data.validate_rides(simulate.rides_for_day(SIM, 7, DAY))
    typical, planted = rides[~rides[GROUND_TRUTH]], rides[rides[GROUND_TRUTH]]
    long_dist = planted["ride_dist"] > typical["ride_dist"].max()
    long_time = planted["ride_time"] > typical["ride_time"].quantile(0.99)
    assert (long_dist | long_time).all()
    assert long_dist.any() and (~long_dist & long_time).any()
