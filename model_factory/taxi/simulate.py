"""A seeded re-implementation of the book's taxi ride simulator, with ground truth kept.

The book draws distances uniformly up to 10 km and speeds around 30 km/h (time = distance /
speed), and adds small groups of long, fast and slow rides, unseeded, with IDs from the clock.
Here every draw comes from a generator seeded by (config seed, purpose, run date), the anomalies
are planted where they really are unusual in (distance, time) -- long distances, long times, or
both; a fast short ride looks like any short ride -- and each row says whether it was planted.
"""

from datetime import date

import numpy as np
import pandas as pd

from model_factory.taxi.config import SimulatorConfig

GROUND_TRUTH = "is_planted_anomaly"

TYPICAL_DIST_KM = (0.5, 10.0)  # uniform, as the book's 10 * U(0, 1), but never 0
SPEED_KMH = (30.0, 5.0)  # normal: the speed-related noise on a ride's time
MIN_SPEED_KMH = 5.0
LONG_DIST_KM = (20.0, 45.0)  # uniform, driven at a typical speed
EXTRA_TIME_MIN = (30.0, 90.0)  # uniform delay added to a ride's time

# Purposes keep the three sets independent: a day's rides never reuse the reference draws.
_DAY, _REFERENCE, _EVALUATION = 0, 1, 2


def simulate(
    n_rides: int, anomaly_fraction: float, rng: np.random.Generator, prefix: str
) -> pd.DataFrame:
    """`n_rides` rides in random order, `round(n * fraction)` of them planted anomalies.

    Anomalies cycle through three kinds: long distance, long time, long distance and time.
    """
    n_anomalies = round(n_rides * anomaly_fraction)
    kind = np.full(n_rides, -1)
    kind[:n_anomalies] = np.arange(n_anomalies) % 3
    dist = rng.uniform(*TYPICAL_DIST_KM, n_rides)
    speed = np.maximum(rng.normal(*SPEED_KMH, n_rides), MIN_SPEED_KMH)
    long_dist = np.isin(kind, (0, 2))
    dist[long_dist] = rng.uniform(*LONG_DIST_KM, long_dist.sum())
    minutes = dist / speed * 60.0
    long_time = np.isin(kind, (1, 2))
    minutes[long_time] += rng.uniform(*EXTRA_TIME_MIN, long_time.sum())
    order = rng.permutation(n_rides)
    width = len(str(n_rides - 1))
    return pd.DataFrame(
        {
            "ride_id": [f"{prefix}-{i:0{width}d}" for i in range(n_rides)],
            "ride_dist": dist[order],
            "ride_time": minutes[order],
            GROUND_TRUTH: kind[order] >= 0,
        }
    )


def rides_for_day(config: SimulatorConfig, seed: int, day: date) -> pd.DataFrame:
    """The synthetic rides of one run date: each date differs, the same date repeats."""
    rng = np.random.default_rng([seed, _DAY, day.toordinal()])
    return simulate(config.n_rides, config.anomaly_fraction, rng, day.strftime("%Y%m%d"))


def reference_rides(config: SimulatorConfig, seed: int) -> pd.DataFrame:
    """The reference window the scaler is fitted on."""
    rng = np.random.default_rng([seed, _REFERENCE])
    return simulate(config.n_rides, config.anomaly_fraction, rng, "ref")


def evaluation_rides(config: SimulatorConfig, seed: int) -> pd.DataFrame:
    """The fixed set whose planted anomalies score a model version (F1)."""
    rng = np.random.default_rng([seed, _EVALUATION])
    return simulate(config.n_rides, config.anomaly_fraction, rng, "eval")
