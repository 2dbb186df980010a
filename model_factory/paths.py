"""Where outputs go: one folder per use case under $MODEL_FACTORY_HOME (default ./outputs)."""

import os
from pathlib import Path

RESOURCES = Path(__file__).parent / "resources"


def home() -> Path:
    return Path(os.environ.get("MODEL_FACTORY_HOME", "outputs")).resolve()


def config_dir() -> Path:
    """Run configs and the promotion policy: $MODEL_FACTORY_CONFIG_DIR, else ./zenml_config (a
    project of one's own), else the checkout this package runs from, so commands work from any
    folder of a clone."""
    if "MODEL_FACTORY_CONFIG_DIR" in os.environ:
        return Path(os.environ["MODEL_FACTORY_CONFIG_DIR"])
    here = Path.cwd() / "zenml_config"
    checkout = Path(__file__).resolve().parents[1] / "zenml_config"
    return here if here.is_dir() or not checkout.is_dir() else checkout


def output_dir(use_case: str) -> Path:
    path = home() / use_case
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_url() -> str:
    """The embedded staging database: a SQLite file beside the outputs."""
    home().mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home() / 'staging.db'}"


def resolve_db_url(cli_value: str | None, config_value: str | None) -> str:
    """Precedence: --db, then $MODEL_FACTORY_DB_URL, then config, then the embedded default."""
    return cli_value or os.environ.get("MODEL_FACTORY_DB_URL") or config_value or default_db_url()
