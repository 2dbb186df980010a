"""What the Kubeflow monitor pipelines read besides their inputs: the production reference
folder, the retraining window by URI, and zenml_config/kubeflow_monitors.yaml."""

import fsspec
import pytest

from components import PIPELINES
from model_factory import continuous
from model_factory.bank.config import BankTrainingConfig
from model_factory.bank.monitor import BankMonitorConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.errors import InputError
from model_factory.integrations.kubeflow import monitors
from model_factory.paths import config_dir
from model_factory.validation import read_table


def test_a_table_is_read_from_an_object_store_uri():
    """How the nested training reads the window on a cluster (gs://); memory:// is the same
    fsspec path without a bucket."""
    fsspec.filesystem("memory").pipe("/kfp/window", b"Store;Sales\n1;5263\n2;6064\n")
    frame = read_table("memory://kfp/window", sep=";")
    assert frame.to_dict("list") == {"Store": [1, 2], "Sales": [5263, 6064]}
    with pytest.raises(InputError, match=r"^memory://kfp/missing: cannot be read"):
        read_table("memory://kfp/missing", sep=";")


def test_an_incomplete_reference_folder_names_what_is_missing(tmp_path):
    (tmp_path / continuous.VERSION_FILE).write_text("4\n")
    with pytest.raises(InputError, match=r"missing reference_profile.json, classifier.joblib"):
        continuous.load_reference(tmp_path, USE_CASE.model_name)


def test_a_reference_without_its_training_config_cannot_score(tmp_path):
    with pytest.raises(InputError, match=r"missing training_config.json \(export-reference\)"):
        continuous.load_training_config(tmp_path, BankTrainingConfig)


def test_a_monitor_run_without_a_batch_is_bad_input(tmp_path):
    config = continuous.BankMonitorAndRetrain(
        reference_uri=str(tmp_path), monitor=BankMonitorConfig(), retraining=BankTrainingConfig()
    )
    with pytest.raises(InputError, match="monitor_data_path"):
        continuous.check(USE_CASE.model_name, config, tmp_path)


def test_every_configured_monitor_is_a_compiled_pipeline_with_a_valid_schedule():
    configured = monitors.load(config_dir())
    assert set(type(configured).model_fields) <= set(PIPELINES)
    for name in type(configured).model_fields:
        cron = monitors.schedule(config_dir(), name)
        assert len(cron.split()) == 5, name
