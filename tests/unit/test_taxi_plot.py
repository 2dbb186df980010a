"""The anomaly plot at city scale: every anomaly drawn, typical rides sampled, counts in full."""

import numpy as np
import pandas as pd

from model_factory.taxi import evaluate


def test_big_days_draw_every_anomaly_and_a_sample_of_typical_rides():
    n, n_anomalies = evaluate.MAX_TYPICAL_POINTS + 20_000, 300
    rng = np.random.default_rng(0)
    labels = pd.DataFrame({
        "ride_dist": rng.uniform(1, 10, n), "ride_time": rng.uniform(2, 30, n),
        "cluster": 0, "is_anomaly": np.arange(n) < n_anomalies, "model_version": "3",
    })  # fmt: skip
    figure = evaluate.anomaly_figure(labels, "2024-06-01")
    typical, flagged = (len(c.get_offsets()) for c in figure.axes[0].collections)
    assert typical == evaluate.MAX_TYPICAL_POINTS and flagged == n_anomalies
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend[0] == f"typical ({n - n_anomalies:,}, {typical:,} drawn)"
    assert f"{n_anomalies:,} anomalies" in figure.axes[0].get_title()
