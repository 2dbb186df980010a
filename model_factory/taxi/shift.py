"""Longer rides, for monitor tests and the demo: distance and time grow together, so the
speed distribution (and the planted anomalies' share) stays as it was."""

import numpy as np
import pandas as pd

SHIFTED_FEATURES = ("ride_dist", "ride_time")


def longer_rides(rides: pd.DataFrame, seed: int, factor: tuple[float, float] = (1.4, 1.8)):
    """Each ride's distance and time multiplied by one factor drawn uniformly from `factor`."""
    scale = np.random.default_rng(seed).uniform(*factor, len(rides))
    return rides.assign(ride_dist=rides["ride_dist"] * scale, ride_time=rides["ride_time"] * scale)
