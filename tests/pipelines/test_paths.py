"""Where configs are found: commands work from any folder, not only the checkout's root."""

import os
import subprocess
import sys

from model_factory.paths import config_dir
from support import PROJECT_ROOT


def test_config_folder_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("MODEL_FACTORY_CONFIG_DIR")
    monkeypatch.chdir(tmp_path)
    assert config_dir() == PROJECT_ROOT / "zenml_config"  # the checkout this package runs from
    (tmp_path / "zenml_config").mkdir()
    assert config_dir() == tmp_path / "zenml_config"  # a project of one's own
    monkeypatch.setenv("MODEL_FACTORY_CONFIG_DIR", "/somewhere/else")
    assert str(config_dir()) == "/somewhere/else"


def test_a_command_run_from_another_folder_finds_the_promotion_policy(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MODEL_FACTORY_CONFIG_DIR"}
    done = subprocess.run(
        [sys.executable, "-m", "model_factory", "models"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "not found" not in done.stderr
