"""Forecasting retraining on Kubeflow (model_factory/continuous.py): the window is the
retraining sales extended by the batch."""

from model_factory.forecasting import data, monitor


def holdout(config) -> int:
    """The retraining run's holdout days, at most half the batch (as `retrain-if-drifted`:
    forecasting.data.retraining_holdout)."""
    batch = monitor.load_batch(config.monitor)
    return data.retraining_holdout(batch, config.retraining.holdout_days)


def write_window(config, path: str) -> int:
    """The retraining sales extended by the batch as a CSV; returns its rows."""
    history, _ = data.load(config.retraining)
    window = data.with_recent(history, monitor.load_batch(config.monitor))
    window.assign(Date=window["Date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return len(window)
