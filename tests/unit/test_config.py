"""Run configs are validated in full, with one-line errors naming the problem."""

import pytest

from model_factory.bank.config import BankTrainingConfig
from model_factory.config import load_run_config
from model_factory.errors import InputError
from support import PROJECT_ROOT


def test_shipped_config_is_valid_and_matches_defaults():
    run = load_run_config(PROJECT_ROOT / "zenml_config/bank_training.yaml", BankTrainingConfig)
    assert run.parameters.config == BankTrainingConfig()
    assert "duration" not in run.parameters.config.features


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("parameters:\n  config:\n    sed: 1\n", "parameters.config.sed: Extra inputs"),
        ("parameters:\n  config:\n    seed: many\n", "parameters.config.seed"),
        ("parameters:\n  config:\n    test_fraction: 1.5\n", "parameters.config.test_fraction"),
        ("unknown_top: 1\nparameters:\n  config: {}\n", "unknown_top: Extra inputs"),
        ("parameters: [\n", "not valid YAML"),
        ("enable_cache: false\n", "parameters: Field required"),
        (
            "parameters:\n  config:\n"
            "    numeric_features: [age]\n    categorical_features: [age]\n",
            "features must be distinct",
        ),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path, text, fragment):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_run_config(path, BankTrainingConfig)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and str(path) in message


def test_missing_config_file(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_run_config(tmp_path / "nope.yaml", BankTrainingConfig)
