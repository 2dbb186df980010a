"""ZenML steps that read and check a use case's training table, shared by the pipelines that
train on one table (bank, taxi): each looks the use case up from its config's type and calls
its `model_factory.<use_case>.data` module. Forecasting reads two tables, with its own steps."""

from typing import Annotated

import pandas as pd
from zenml import step

from model_factory import use_cases
from model_factory.integrations.frame_materializer import HashedPandasMaterializer
from steps.caching import pure

# Any use case's training config; ZenML rebuilds the right type from the fields a run recorded.
TrainingConfig = use_cases.training_config_union()


@step(output_materializers=HashedPandasMaterializer)
def ingest(config: TrainingConfig) -> Annotated[pd.DataFrame, "raw_data"]:
    """Never cached: the source may change under the same config (a file, a database)."""
    return use_cases.data_of(config).load(config)


@step(**pure(*(u.data for u in use_cases.all()), "model_factory.validation"))
def validate(raw: pd.DataFrame, config: TrainingConfig) -> Annotated[pd.DataFrame, "dataset"]:
    return use_cases.data_of(config).validate(raw, config)
