"""Bank retraining on Kubeflow (model_factory/continuous.py): the window is the retraining
data plus the labelled batch."""

from model_factory.bank import data, monitor
from model_factory.validation import written_separator


def holdout(config) -> int:
    """0: bank holds out rows by hash, not days."""
    return 0


def write_window(config, path: str) -> int:
    """The retraining data plus the labelled batch (validated) as a CSV; returns its rows."""
    batch = monitor.load_batch(config.monitor)
    window = data.with_recent(data.load(config.retraining), batch, config.retraining)
    window.to_csv(path, sep=written_separator(config.retraining.csv_separator), index=False)
    return len(window)
