"""The rides contract: read a file or simulate a day, then validate.

A valid frame has `ride_id` (string, unique), `ride_dist` (km, > 0), `ride_time` (minutes, > 0),
the derived `ride_speed` (km/h) and, from the simulator, the ground truth `is_planted_anomaly`.
Other input columns are dropped; a `ride_speed` in the input is recomputed, not trusted.
"""

from collections.abc import Mapping

import pandas as pd

from model_factory.errors import InputError
from model_factory.taxi import simulate
from model_factory.taxi.config import RIDE_RANGES, TaxiDetectionConfig
from model_factory.taxi.simulate import GROUND_TRUTH
from model_factory.validation import (
    ValueRange,
    read_table,
    require_in_range,
    require_no_nulls,
    require_positive,
    require_printable,
    require_table,
    require_unique,
    require_values_in,
)

REQUIRED = ["ride_id", "ride_dist", "ride_time"]
MEASURES = ["ride_dist", "ride_time"]
MAX_ID_LENGTH = 255  # the sink's key column is VARCHAR(255)


def read_rides(path: str) -> pd.DataFrame:
    """A CSV (ride_id read as text, so `007` stays `007`) or a Parquet file."""
    return read_table(path, dtype={"ride_id": str})


def source(config: TaxiDetectionConfig) -> str:
    """How errors name the run's rides: the file, or the synthetic date."""
    return config.data_path or f"synthetic rides {config.run_date}"


def load(config: TaxiDetectionConfig) -> pd.DataFrame:
    """The run date's rides: the configured file, else the simulator's rides for that date."""
    if config.data_path:
        return read_rides(config.data_path)
    return simulate.rides_for_day(config.simulator, config.seed, config.day)


def load_reference(config: TaxiDetectionConfig) -> pd.DataFrame:
    """The reference window the scaler is fitted on (`reference_source` names it): the
    configured file, else the run's own rides file, else the synthetic window. Real rides are
    never standardised with the simulator's statistics."""
    if config.reference_path:
        return read_rides(config.reference_path)
    if config.data_path:
        return read_rides(config.data_path)
    return simulate.reference_rides(config.simulator, config.seed)


def reference_source(config: TaxiDetectionConfig) -> str:
    """Which rides a detector fitted with `config` is standardised on, for the run's metrics:
    `configured:<path>`, `run_rides` or `synthetic`."""
    if config.reference_path:
        return f"configured:{config.reference_path}"
    return "run_rides" if config.data_path else "synthetic"


def validate(raw: pd.DataFrame, config: TaxiDetectionConfig) -> pd.DataFrame:
    """The run's rides checked against the contract, with the config's plausible ranges."""
    return validate_rides(raw, source(config), config.ranges)


def validate_rides(
    frame: pd.DataFrame, source: str = "rides", ranges: Mapping[str, ValueRange] = RIDE_RANGES
) -> pd.DataFrame:
    """Check the contract; return the contract columns plus `ride_speed` (and ground truth)."""
    require_table(frame, REQUIRED, MEASURES, source)
    require_positive(frame, MEASURES, source)
    for measure in MEASURES:
        require_in_range(frame, measure, ranges[measure], source)
    ids = frame["ride_id"].astype(str)
    if (ids.str.len() > MAX_ID_LENGTH).any() or (ids.str.strip() == "").any():
        raise InputError(f"{source}: ride_id must be 1 to {MAX_ID_LENGTH} characters")
    require_printable(ids, "ride_id", source)
    out = pd.DataFrame(
        {
            "ride_id": ids,
            "ride_dist": frame["ride_dist"].astype(float),
            "ride_time": frame["ride_time"].astype(float),
        }
    )
    require_unique(out, ["ride_id"], source)
    out["ride_speed"] = out["ride_dist"] / (out["ride_time"] / 60.0)  # finite: times >= a floor
    if GROUND_TRUTH in frame.columns:
        require_no_nulls(frame, [GROUND_TRUTH], source)
        require_values_in(frame, GROUND_TRUTH, {True, False}, source)
        out[GROUND_TRUTH] = frame[GROUND_TRUTH].astype(bool)
    return out.reset_index(drop=True)
