"""ZenML step caching where it is safe (steps/caching.py): a second run on the same data takes
validation and the split from the cache and runs the loader, training, registration and
promotion again; a changed data file under the same path runs everything again.

Bank training on its bundled data written to a CSV of the test's own, a tiny search, a model name
of its own (no promotion), on the process's ZenML store.
"""

import uuid

import pytest
from zenml.enums import ExecutionStatus

from model_factory.bank import data
from model_factory.bank.config import BankTrainingConfig
from model_factory.config import RunConfig
from model_factory.integrations.zenml_runs import run_with_config
from pipelines import bank_training

pytestmark = pytest.mark.slow

SEARCH = {"n_candidates": 2, "cv_folds": 2, "min_rows": 600, "n_jobs": 1}
CACHED = {"validate", "split"}
ALWAYS_RUN = {"ingest", "train", "evaluate_model", "promote"}


def _statuses(model: str, config: BankTrainingConfig) -> dict[str, ExecutionStatus]:
    run_config = RunConfig[BankTrainingConfig].model_validate(
        {"model": {"name": model}, "parameters": {"config": config}}
    )
    run = run_with_config(bank_training.TRAINING, run_config, config)
    return {name: step.status for name, step in run.steps.items()}


def test_unchanged_data_reuses_validation_and_split_and_a_changed_file_does_not(tmp_path):
    path = tmp_path / "bank.csv"
    frame = data.load(BankTrainingConfig())
    frame.to_csv(path, sep=";", index=False)
    config = BankTrainingConfig(data_path=str(path), search=SEARCH, promote=False)
    model = f"bank_caching_{uuid.uuid4().hex[:8]}"

    first = _statuses(model, config)
    assert set(first) == CACHED | ALWAYS_RUN
    assert set(first.values()) == {ExecutionStatus.COMPLETED}

    again = _statuses(model, config)
    assert {name for name, status in again.items() if status == ExecutionStatus.CACHED} == CACHED
    assert all(again[name] == ExecutionStatus.COMPLETED for name in ALWAYS_RUN)

    # Same path, new content: one client's balance changed.
    frame.loc[0, "balance"] += 1
    frame.to_csv(path, sep=";", index=False)
    changed = _statuses(model, config)
    assert set(changed.values()) == {ExecutionStatus.COMPLETED}
