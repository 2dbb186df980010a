"""Fair-comparison hooks of the taxi detector (see `model_factory.fair_comparison`).

Detectors are scored on a seeded evaluation set that no detector is fitted on (`FixedHoldout`),
so an incumbent is either reused (same evaluation rides) or re-scored on the candidate's rides.
Refitting never applies: no detector saw the rides it is compared on.
"""

from collections.abc import Mapping

import pandas as pd

from model_factory.fair_comparison import FixedHoldout, Holdout, NotComparable, Rescorer
from model_factory.taxi import evaluate
from model_factory.taxi.model import TaxiDetector
from model_factory.taxi.use_case import USE_CASE


def holdout(evaluation_fingerprint: str) -> dict:
    """The identity of the evaluation rides, recorded on the model version."""
    return FixedHoldout(fingerprint=evaluation_fingerprint).model_dump(mode="json")


def score(
    detector: TaxiDetector, rides: pd.DataFrame, _config: Mapping, _holdout: Holdout
) -> dict[str, float]:
    """The incumbent detector's F1 (and counts) on the candidate's evaluation rides."""
    missing = [c for c in detector.features if c not in rides.columns]
    if missing:
        raise NotComparable(f"the candidate's rides lack the feature(s) {', '.join(missing)}")
    return evaluate.score(detector, rides)


RESCORER = Rescorer(
    model_artifact=USE_CASE.model_artifact, holdout_artifact="evaluation_rides", score=score
)
