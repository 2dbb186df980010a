"""The detector: a scaler fitted on a reference window plus DBSCAN's parameters and anomaly rule.

DBSCAN has no `predict`: each run clusters its own rides, in the reference window's units, so
that eps means the same distance every day. The fitted state is a few numbers, kept as JSON (no
pickles), so any version can be read back and audited.
"""

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from model_factory.config import StrictModel
from model_factory.taxi.config import DetectorConfig
from model_factory.taxi.dbscan import dbscan

NOISE = -1


class TaxiDetector(StrictModel):
    """A model version: standardisation per feature, DBSCAN parameters, registry version.

    `min_samples_fraction` defaults to None so versions stored before it existed keep the
    fixed-`min_samples` rule they were fitted and scored with.
    """

    features: list[str]
    mean: list[float]
    scale: list[float]
    eps: float
    min_samples: int
    min_samples_fraction: float | None = None
    n_reference: int
    version: str = "unregistered"

    def params(self) -> DetectorConfig:
        """The configuration this detector was fitted with."""
        return DetectorConfig(
            eps=self.eps,
            min_samples=self.min_samples,
            min_samples_fraction=self.min_samples_fraction,
            features=self.features,
        )

    def min_samples_for(self, n_rides: int) -> int:
        """DBSCAN's min_samples for a batch of n_rides: the same relative density at any size."""
        if self.min_samples_fraction is None:
            return self.min_samples
        return max(self.min_samples, round(self.min_samples_fraction * n_rides))

    def standardise(self, rides: pd.DataFrame) -> np.ndarray:
        return (rides[self.features].to_numpy(dtype=float) - self.mean) / self.scale


def fit(reference: pd.DataFrame, params: DetectorConfig) -> TaxiDetector:
    """Fit the scaler on validated reference rides (a constant feature keeps scale 1)."""
    scaler = StandardScaler().fit(reference[params.features].to_numpy(dtype=float))
    return TaxiDetector(
        features=list(params.features),
        mean=scaler.mean_.tolist(),
        scale=scaler.scale_.tolist(),
        eps=params.eps,
        min_samples=params.min_samples,
        min_samples_fraction=params.min_samples_fraction,
        n_reference=len(reference),
    )


def cluster(X: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    """DBSCAN labels (-1 = noise); min_samples counts the point itself, as in scikit-learn.

    The one place the clustering algorithm is chosen: model_factory.taxi.dbscan, exact
    (scikit-learn's labels) and fast enough for millions of rides.
    """
    return dbscan(X, eps, min_samples).labels


def label(rides: pd.DataFrame, detector: TaxiDetector) -> pd.DataFrame:
    """The rides with the raw DBSCAN `cluster`, `is_anomaly` (noise) and `model_version`."""
    X = detector.standardise(rides)
    clusters = cluster(X, detector.eps, detector.min_samples_for(len(X)))
    return rides.assign(
        cluster=clusters.astype(np.int64),
        is_anomaly=clusters == NOISE,
        model_version=detector.version,
    )
