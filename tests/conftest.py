"""Test isolation: every pytest process gets its own ZenML store, outputs and staging DB.

The environment is set before anything imports zenml, and ZENML_REPOSITORY_PATH points at an
empty folder so the developer's own `.zen` repository and global store are never touched.
"""

import os
import tempfile
from pathlib import Path

import pytest

from support import PROJECT_ROOT, run_cli

_SCRATCH = Path(tempfile.mkdtemp(prefix="model-factory-tests-"))
(_SCRATCH / "no-repo").mkdir()
os.environ.update(
    ZENML_CONFIG_PATH=str(_SCRATCH / "zenml"),
    ZENML_REPOSITORY_PATH=str(_SCRATCH / "no-repo"),
    ZENML_ANALYTICS_OPT_IN="false",
    ZENML_LOGGING_VERBOSITY="WARN",
    ZENML_ENABLE_RICH_TRACEBACK="false",
    AUTO_OPEN_DASHBOARD="false",
    MODEL_FACTORY_HOME=str(_SCRATCH / "outputs"),
    MODEL_FACTORY_CONFIG_DIR=str(PROJECT_ROOT / "zenml_config"),
)
os.environ.pop("MODEL_FACTORY_DB_URL", None)


@pytest.fixture(scope="session")
def scratch() -> Path:
    """This process's scratch folder (ZenML store, outputs)."""
    return _SCRATCH


@pytest.fixture
def cli():
    return run_cli
