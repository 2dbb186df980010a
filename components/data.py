"""KFP components that read and check a training table, shared by the pipelines that train on
one table (bank, taxi) as steps/data.py is under ZenML: the config's fields say which use case
it is for (`use_cases.training_config`), and that use case's data module does the work."""

from kfp.dsl import Dataset, Input, Output

from components.platform import component


@component
def ingest(config_json: str, raw_data: Output[Dataset]) -> None:
    from model_factory import use_cases
    from model_factory.integrations.kubeflow.artifacts import write_table

    config = use_cases.training_config(config_json)
    write_table(use_cases.data_of(config).load(config), raw_data)


@component
def validate(config_json: str, raw_data: Input[Dataset], dataset: Output[Dataset]) -> None:
    from model_factory import use_cases
    from model_factory.integrations.kubeflow.artifacts import read_table, write_table

    config = use_cases.training_config(config_json)
    write_table(use_cases.data_of(config).validate(read_table(raw_data), config), dataset)
