"""Longer rides, for monitor tests and the demo: distance and time grow together, so the
speed distribution (and the planted anomalies' share) stays as it was."""

import numpy as np
import pandas as pd

from model_factory.taxi import simulate
from model_factory.taxi.config import SimulatorConfig, parse_run_date
from model_factory.use_case import SampleBatch

SHIFTED_FEATURES = ("ride_dist", "ride_time")


def longer_rides(rides: pd.DataFrame, seed: int, factor: tuple[float, float] = (1.4, 1.8)):
    """Each ride's distance and time multiplied by one factor drawn uniformly from `factor`."""
    scale = np.random.default_rng(seed).uniform(*factor, len(rides))
    return rides.assign(ride_dist=rides["ride_dist"] * scale, ride_time=rides["ride_time"] * scale)


def sample_batch(seed: int, shifted: bool, run_date: str) -> SampleBatch:
    """`model-factory sample-batch taxi`: a day of synthetic rides, longer if `shifted`."""
    frame = simulate.rides_for_day(SimulatorConfig(), seed, parse_run_date(run_date))
    if not shifted:
        return SampleBatch(frame, "", ",")
    note = f"shifted: {', '.join(SHIFTED_FEATURES)}"
    return SampleBatch(longer_rides(frame, seed), note, ",")
