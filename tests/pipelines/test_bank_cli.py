"""`model-factory train bank` on bad input: exit 2, one line, nothing registered.

The commands run through the CLI's entry point in this process (`cli_in_process`), not in a new
interpreter each (seconds of imports per case); the last test runs a refusal and --help in new
interpreters, as a user types them.
"""

import pytest

from model_factory.bank import data
from model_factory.bank.config import BankTrainingConfig
from support import run_cli


@pytest.fixture
def cli(cli_in_process):
    return cli_in_process


@pytest.fixture
def sample(tmp_path):
    frame = data.load(BankTrainingConfig()).head(300)
    path = tmp_path / "bank.csv"
    frame.to_csv(path, sep=";", index=False)
    return frame, path


def _write(tmp_path, frame, name="bad.csv"):
    path = tmp_path / name
    frame.to_csv(path, sep=";", index=False)
    return path


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("missing_column", "missing column(s) pdays"),
        ("wrong_type", "column balance must be numeric"),
        ("empty_file", "file is empty"),
        ("header_only", "no rows"),
        ("missing_file", "data file not found"),
    ],
)
def test_bad_data_exits_2_with_one_line(cli, sample, tmp_path, case, fragment):
    frame, _ = sample
    path = {
        "missing_column": lambda: _write(tmp_path, frame.drop(columns=["pdays"])),
        "wrong_type": lambda: _write(tmp_path, frame.assign(balance="lots")),
        "empty_file": lambda: (tmp_path / "empty.csv").write_text("") or tmp_path / "empty.csv",
        "header_only": lambda: _write(tmp_path, frame.head(0)),
        "missing_file": lambda: tmp_path / "absent.csv",
    }[case]()
    result = cli("train", "bank", "--data", str(path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Initiating a new run" not in result.stdout + result.stderr  # nothing ran


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("parameters:\n  config:\n    n_estimators: 5\n", "parameters.config.n_estimators"),
        ("parameters:\n  config:\n    search: {n_candidates: few}\n", "search.n_candidates"),
    ],
)
def test_bad_config_exits_2(cli, tmp_path, text, fragment):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    result = cli("train", "bank", "--config", str(path))
    assert result.returncode == 2 and fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_config_exits_2(cli, tmp_path):
    result = cli("train", "bank", "--config", str(tmp_path / "none.yaml"))
    assert result.returncode == 2 and "config file not found" in result.stderr


def test_help_lists_commands(cli):
    result = cli("--help")
    assert result.returncode == 0 and "train" in result.stdout and "demo" in result.stdout


def test_help_and_a_refusal_from_a_new_interpreter(tmp_path):
    result = run_cli("--help")
    assert result.returncode == 0 and "train" in result.stdout and "demo" in result.stdout
    result = run_cli("train", "bank", "--data", str(tmp_path / "absent.csv"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "data file not found" in lines[0], result.stderr
