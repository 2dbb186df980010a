"""Thresholds shared by every monitor (`parameters.config.drift` in zenml_config/*_monitor.yaml)."""

from pydantic import Field

from model_factory.config import StrictModel


class DriftThresholds(StrictModel):
    """A distribution drifts when it moved materially (PSI) AND the move is not noise (p-value).

    PSI alone fires on small batches (its noise grows like bins / rows); a p-value alone fires on
    any tiny move once batches are large. Requiring both keeps the no-drift false-alarm rate low
    at every batch size while large shifts still cross both lines.
    """

    psi: float = Field(0.2, gt=0, description="population stability index at or above: moved")
    p_value: float = Field(0.01, gt=0, lt=1, description="KS / chi-square p-value below: real")
    bins: int = Field(10, ge=2, le=50, description="quantile bins of a numeric reference")
    reference_sample: int = Field(
        2000, ge=100, description="reference values kept per numeric feature for the KS test"
    )
