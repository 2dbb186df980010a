"""Fitting a detector from a run config: the scaler on the reference window, F1 on the seeded
evaluation rides no detector is fitted on. What the ZenML step, the KFP fit task and the KFP
registration share."""

from dataclasses import dataclass

import pandas as pd

from model_factory.taxi import data, evaluate, model, simulate
from model_factory.taxi.config import TaxiDetectionConfig
from model_factory.taxi.model import TaxiDetector


@dataclass(frozen=True)
class Fitted:
    detector: TaxiDetector
    reference: pd.DataFrame  # the validated rides it is standardised on
    evaluation: pd.DataFrame  # the seeded evaluation rides
    scores: dict[str, float]  # F1 and counts on `evaluation`


def fit(config: TaxiDetectionConfig) -> Fitted:
    reference = data.validate_rides(
        data.load_reference(config), config.reference_path or "reference", config.ranges
    )
    detector = model.fit(reference, config.detector)
    evaluation = simulate.evaluation_rides(config.simulator, config.seed)
    return Fitted(detector, reference, evaluation, evaluate.score(detector, evaluation))
