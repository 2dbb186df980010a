"""KFP components that read and check a training table, shared by the pipelines that train on
one table (bank, taxi) as steps/data.py is under ZenML: the config's fields say which use case
it is for (`use_cases.training_config`), and that use case's data module does the work."""

from kfp import dsl

from components.platform import component


@component
def ingest(config_json: str, raw_data: dsl.Output[dsl.Dataset]) -> None:
    from model_factory import use_cases

    config = use_cases.training_config(config_json)
    frame = use_cases.data_of(config).load(config)
    frame.to_parquet(raw_data.path)
    raw_data.metadata["rows"] = len(frame)


@component
def validate(
    config_json: str, raw_data: dsl.Input[dsl.Dataset], dataset: dsl.Output[dsl.Dataset]
) -> None:
    import pandas as pd

    from model_factory import use_cases

    config = use_cases.training_config(config_json)
    frame = use_cases.data_of(config).validate(pd.read_parquet(raw_data.path), config)
    frame.to_parquet(dataset.path)
    dataset.metadata["rows"] = len(frame)
