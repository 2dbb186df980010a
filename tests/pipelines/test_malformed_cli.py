"""Malformed configs, options and output paths across commands: each is refused with exit 2
and one `error:` line before any work, and leaves the world as it was (model versions and
stages, files, staging-database rows).

Output paths follow model_factory/outputs.py: an existing non-file (folder, FIFO) or a
symbolic link is refused while the options are parsed, before training or scoring starts.
Configs are read by one YAML reader (UTF-8, no aliases) and their `settings:`/`steps:` are
checked against ZenML before a run starts. All run in this process (`run_main`) and stop
before any pipeline runs, so each takes well under a second of its own.
"""

import os
from pathlib import Path

import pytest
import yaml

from model_factory import paths, promotion, sql
from model_factory.errors import InputError
from model_factory.integrations.kubeflow import monitors, stack_template
from support import PROJECT_ROOT, World, assert_refused, run_main

CONFIGS = PROJECT_ROOT / "zenml_config"
# A "billion laughs": 341 bytes that become 9^9 strings once anything walks the aliases (a
# pydantic validation, a YAML dump of the run config).
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]"
            for i in range(8)
        ),
    ]
)


def _bank_config(tmp: Path, name: str, **top) -> Path:
    """zenml_config/bank_training.yaml with top-level keys replaced."""
    raw = yaml.safe_load((CONFIGS / "bank_training.yaml").read_text()) | top
    path = tmp / name
    path.write_text(yaml.safe_dump(raw))
    return path


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "fifo")
    return tmp / "fifo"


def _folder(tmp: Path) -> Path:
    (tmp / "folder").mkdir()
    (tmp / "folder" / "inside.txt").write_text("mine")
    return tmp / "folder"


def _link(tmp: Path) -> Path:
    (tmp / "target.csv").write_text("keep me\n")
    (tmp / "link.csv").symlink_to(tmp / "target.csv")
    return tmp / "link.csv"


def _file(tmp: Path) -> Path:
    (tmp / "file").write_text("keep me\n")
    return tmp / "file"


def _latin1(tmp: Path) -> Path:
    path = tmp / "latin1.yaml"
    path.write_bytes((CONFIGS / "bank_training.yaml").read_bytes() + "# café\n".encode("latin-1"))
    return path


def _bomb(tmp: Path) -> Path:
    path = tmp / "bomb.yaml"
    text = (CONFIGS / "bank_training.yaml").read_text()
    path.write_text(text + "settings:\n" + "\n".join("  " + line for line in BOMB.splitlines()))
    return path


def _calendar(tmp: Path) -> Path:
    (tmp / "test.csv").write_text("Store,Date\n1,2999-01-01\n")
    return tmp / "test.csv"


# (command line with {placeholders} filled from `tmp`, the message its error line must hold)
CASES = {
    "metrics-out-folder": (
        ["train", "bank", "--metrics-out", "{folder}"],
        "exists and is not a regular file (a folder)",
    ),
    "metrics-out-fifo": (
        ["monitor", "bank", "--data", "x.csv", "--metrics-out", "{fifo}"],
        "exists and is not a regular file (a FIFO)",
    ),
    "metrics-out-link": (
        ["detect", "taxi", "--run-date", "2024-06-01", "--metrics-out", "{link}"],
        "is a symbolic link; outputs do not follow links",
    ),
    "predictions-out-fifo": (
        ["predict", "bank", "--out", "{fifo}"],
        "exists and is not a regular file (a FIFO)",
    ),
    "predictions-out-link": (
        ["predict", "bank", "--out", "{link}"],
        "is a symbolic link",
    ),
    "predictions-out-below-a-file": (
        ["predict", "bank", "--out", "{file}/predictions.csv"],
        "is not a folder",
    ),
    "sample-batch-out-folder": (
        ["sample-batch", "bank", "--out", "{folder}"],
        "exists and is not a regular file (a folder)",
    ),
    "export-reference-to-file": (
        ["export-reference", "bank_marketing_classifier", "--to", "{file}"],
        "exists and is not a folder",
    ),
    "export-reference-to-foreign-folder": (
        ["export-reference", "store_sales_forecaster", "--to", "{folder}"],
        "a folder with other content (no version.txt)",
    ),
    "export-reference-taxi": (
        ["export-reference", "taxi_anomaly_detector", "--to", "{tmp}/reference"],
        "taxi_anomaly_detector has no exportable reference",
    ),
    "config-not-utf8": (
        ["train", "bank", "--config", "{latin1}"],
        "not UTF-8 text",
    ),
    "config-alias-bomb": (
        ["train", "bank", "--config", "{bomb}"],
        "aliases (*name) are not allowed",
    ),
    "settings-not-a-mapping": (
        ["train", "bank", "--config", "{settings_scalar}"],
        "settings.foo: Input should be a valid dictionary",
    ),
    "settings-unknown-key": (
        ["train", "bank", "--config", "{settings_unknown}"],
        "settings.foo: unknown settings key (accepted: ",
    ),
    "settings-unknown-attribute": (
        ["train", "bank", "--config", "{settings_attribute}"],
        "settings.docker.no_such_option: unknown setting",
    ),
    "settings-wrong-type": (
        ["train", "bank", "--config", "{settings_type}"],
        "steps.train.settings.resources: cpu_count:",
    ),
    "steps-unknown-step": (
        ["train", "bank", "--config", "{steps_unknown}"],
        "steps: no_such_step: no such step in bank_training",
    ),
    "steps-unknown-key": (
        ["train", "bank", "--config", "{steps_key}"],
        "steps.train.bogus: Extra inputs are not permitted",
    ),
    "rides-too-many": (
        ["detect", "taxi", "--run-date", "2024-06-01", "--rides", "1000000000"],
        "simulator.n_rides: Input should be less than or equal to 10000000",
    ),
    "db-driver-missing": (
        ["detect", "taxi", "--run-date", "2024-06-01", "--rides", "200",
         "--db", "mysql://user:secret@127.0.0.1/db"],
        "its driver is not installed",
    ),
    "db-bad-port": (
        ["detect", "taxi", "--run-date", "2024-06-01", "--rides", "200",
         "--db", "postgresql://user@127.0.0.1:99999/db"],
        "port 99999 is not in 1..65535",
    ),
    "db-port-not-a-number": (
        ["detect", "taxi", "--run-date", "2024-06-01", "--rides", "200",
         "--db", "postgresql://user@127.0.0.1:abc/db"],
        "is not usable: invalid literal for int()",
    ),
}  # fmt: skip


@pytest.fixture
def placeholders(tmp_path) -> dict[str, Path]:
    return {
        "tmp": tmp_path,
        "folder": _folder(tmp_path),
        "fifo": _fifo(tmp_path),
        "link": _link(tmp_path),
        "file": _file(tmp_path),
        "latin1": _latin1(tmp_path),
        "bomb": _bomb(tmp_path),
        "calendar": _calendar(tmp_path),
        "settings_scalar": _bank_config(tmp_path, "s1.yaml", settings={"foo": 1}),
        "settings_unknown": _bank_config(tmp_path, "s2.yaml", settings={"foo": {}}),
        "settings_attribute": _bank_config(
            tmp_path, "s3.yaml", settings={"docker": {"no_such_option": True}}
        ),
        "settings_type": _bank_config(
            tmp_path, "s4.yaml", steps={"train": {"settings": {"resources": {"cpu_count": "x"}}}}
        ),
        "steps_unknown": _bank_config(tmp_path, "s5.yaml", steps={"no_such_step": {}}),
        "steps_key": _bank_config(tmp_path, "s6.yaml", steps={"train": {"bogus": 1}}),
    }


@pytest.fixture(scope="module")
def staging() -> str:
    """The default staging database, created (its file would otherwise appear with the first
    snapshot's row count)."""
    url = paths.default_db_url()
    engine = sql.engine_for(url)
    engine.connect().close()
    engine.dispose()
    return url


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_input_is_refused_before_any_work(tmp_path, placeholders, staging, case):
    args, message = CASES[case]
    args = [arg.format(**placeholders) for arg in args]
    before = World(folders=[tmp_path, paths.home()], databases=[staging])
    code, _, err = run_main(*args)
    assert_refused(code, err, message)
    assert World(folders=[tmp_path, paths.home()], databases=[staging]) == before


def test_the_kubeflow_run_configs_pass_the_settings_and_steps_checks():
    """What the checks accept: the project's own Kubeflow configs (docker, the Kubeflow
    orchestrator's settings, per-step resources, environment and secrets)."""
    from importlib import import_module

    from model_factory.config import load_run_config
    from model_factory.integrations.zenml_runs import check_run_config

    for name, params in [
        ("bank_training", "model_factory.bank.config:BankTrainingConfig"),
        ("taxi_detection", "model_factory.taxi.config:TaxiDetectionConfig"),
        ("forecasting_training", "model_factory.forecasting.config:ForecastTrainingConfig"),
    ]:
        params_module, params_name = params.split(":")
        run_config = load_run_config(
            CONFIGS / "kubeflow" / f"{name}.yaml",
            getattr(import_module(params_module), params_name),
        )
        pipeline = import_module(f"pipelines.{name}")
        training = getattr(pipeline, "TRAINING", None) or pipeline.DETECTION
        check_run_config(training, run_config, run_config.parameters.config)


@pytest.mark.parametrize(
    "read",
    [
        lambda path: promotion.load_policies(path),
        lambda path: monitors.load(path.parent),
        lambda path: stack_template.render(path, {}, {}),
    ],
    ids=["promotion.yaml", "kubeflow_monitors.yaml", "stack definition"],
)
def test_every_yaml_the_project_reads_refuses_aliases(tmp_path, read):
    path = tmp_path / monitors.FILE
    path.write_text(BOMB + "\n")
    with pytest.raises(InputError, match=r"aliases \(\*name\) are not allowed \(line 2\)"):
        read(path)
