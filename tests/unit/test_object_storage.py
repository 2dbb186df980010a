"""s3:// (MinIO on kind) through the same fsspec code as gs://, against a local S3 server.

The `s3` fixture puts the standard environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY) in front of moto's S3 server on 127.0.0.1; the project passes no endpoint
of its own, so these tests also check that s3fs takes it from the environment. A pipeline root
on s3:// is compiled into the IR in test_kfp_submit; training from s3:// through ZenML's server
is test_zenml_server's.
"""

import pandas as pd
import pytest
import yaml

from components import PIPELINES
from model_factory import continuous
from model_factory.bank import data, shift
from model_factory.bank.config import BankTrainingConfig
from model_factory.errors import InputError
from model_factory.paths import config_dir
from model_factory.validation import read_table
from support import TINY_BANK, assert_refused, train_into_production

MODEL = "bank_marketing_classifier"


def _put_csv(s3, frame: pd.DataFrame, key: str) -> str:
    with s3.open(f"data/{key}", "w") as out:
        frame.to_csv(out, sep=";", index=False)
    return f"s3://data/{key}"


def test_data_uris_read_from_s3(s3):
    frame = data.load(BankTrainingConfig()).head(50)
    uri = _put_csv(s3, frame, "batch.csv")
    pd.testing.assert_frame_equal(read_table(uri, sep=";"), frame)
    with pytest.raises(InputError, match=r"^s3://data/missing.csv: cannot be read"):
        read_table("s3://data/missing.csv", sep=";")


def test_export_reference_refuses_what_it_did_not_write(s3, cli_in_process):
    s3.pipe("data/other/notes.txt", b"not a reference")
    done = cli_in_process("export-reference", "bank", "--to", "s3://data/other")
    assert_refused(done.returncode, done.stderr, "error: s3://data/other: a folder with other "
                   "content (no version.txt); give a new or empty folder")  # fmt: skip
    assert s3.cat("data/other/notes.txt") == b"not a reference"


def test_without_credentials_commands_refuse_in_one_line(s3, cli_in_process, monkeypatch):
    """No keys in the environment (nor a credentials file, nor instance metadata to ask): bad
    settings, exit 2 naming the URI, as a missing file is, not a botocore traceback."""
    import s3fs

    _put_csv(s3, data.load(BankTrainingConfig()).head(50), "bank.csv")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    s3fs.S3FileSystem.clear_instance_cache()  # an earlier test's instance holds its keys
    try:
        trained = cli_in_process("train", "bank", "--data", "s3://data/bank.csv")
        exported = cli_in_process("export-reference", "bank", "--to", "s3://data/reference")
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
    missing = "(Unable to locate credentials)"  # botocore's words
    assert_refused(
        trained.returncode, trained.stderr, f"s3://data/bank.csv: cannot be read {missing}"
    )
    assert_refused(
        exported.returncode, exported.stderr, f"s3://data/reference: cannot be listed {missing}"
    )


@pytest.mark.slow
def test_a_version_trained_from_s3_is_exported_there_and_monitored_from_there(
    s3, cli_in_process, tmp_path
):
    """train --data s3://, export-reference --to s3:// (twice: the second replaces the first's
    objects), then what the KFP monitor's tasks do with it: the reference folder as the
    importer copies it, the batch and the retraining data read from s3://."""
    training_data = _put_csv(s3, data.load(BankTrainingConfig()), "bank.csv")
    config = tmp_path / "bank.yaml"
    config.write_text(yaml.safe_dump({"parameters": {"config": TINY_BANK | {"promote": False}}}))
    version = train_into_production(
        MODEL, tmp_path, "bank", "--data", training_data, "--config", str(config)
    )

    s3.pipe("data/reference/stale.txt", b"left by an older export")
    s3.pipe(f"data/reference/{continuous.VERSION_FILE}", b"0\n")
    done = cli_in_process("export-reference", "bank", "--to", "s3://data/reference")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == f"{MODEL} version {version} (production): s3://data/reference\n"
    s3.invalidate_cache()
    assert not s3.exists("data/reference/stale.txt")
    assert s3.cat(f"data/reference/{continuous.VERSION_FILE}").decode().strip() == version

    reference = tmp_path / "imported"
    s3.get("data/reference/", str(reference), recursive=True)  # what the KFP importer does
    batch = _put_csv(s3, shift.shift(shift.fresh_batch(300, seed=3), seed=3), "batch.csv")
    base = PIPELINES["bank_monitor"].config(config_dir())
    monitor = base.monitor.model_copy(update={"data_path": batch})
    retraining = base.retraining.model_copy(update={"data_path": training_data})
    settings = base.model_copy(update={"monitor": monitor, "retraining": retraining})
    drift = continuous.check(MODEL, settings, reference)
    assert drift.drifted and drift.metrics()["model_version"] == version

    window = tmp_path / "window.csv"
    rows = continuous.write_window(MODEL, settings, str(window))
    window_uri = "s3://data/window.csv"
    s3.put(str(window), window_uri)  # the launcher uploads it; the nested training reads it
    assert len(read_table(window_uri, sep=";")) == rows > 300
