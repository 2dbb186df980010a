"""Configs as flat pipeline inputs (what a KFP run form shows) and back, validated strictly."""

from datetime import date
from typing import Literal

import pytest
from pydantic import Field

from model_factory.bank.config import BankTrainingConfig, SearchConfig
from model_factory.config import StrictModel
from model_factory.errors import InputError
from model_factory.integrations.kubeflow.flat_config import flatten, input_types, unflatten


def test_bank_config_flattens_to_typed_inputs_and_back():
    config = BankTrainingConfig(
        data_path="/data/bank.csv", seed=7, search=SearchConfig(n_candidates=5, cv_folds=4)
    )
    flat = flatten(config)
    assert flat["data_path"] == "/data/bank.csv" and flat["seed"] == 7
    assert flat["search_n_candidates"] == 5 and flat["search_cv_folds"] == 4
    assert flat["numeric_features"] == config.numeric_features
    assert "search" not in flat
    assert unflatten(BankTrainingConfig, flat) == config


def test_none_is_the_empty_string_both_ways():
    flat = flatten(BankTrainingConfig())
    assert flat["data_path"] == ""
    assert unflatten(BankTrainingConfig, flat).data_path is None


def test_none_of_a_list_field_is_the_empty_list_both_ways():
    class Picked(StrictModel):
        store_ids: list[int] | None = None

    assert flatten(Picked()) == {"store_ids": []}  # a LIST input cannot default to ""
    assert unflatten(Picked, {"store_ids": []}).store_ids is None
    assert unflatten(Picked, {"store_ids": [3, 1]}).store_ids == [3, 1]


def test_a_null_number_is_refused_in_one_line():
    class Tuned(StrictModel):
        fraction: float | None = None

    with pytest.raises(InputError, match=r"^Tuned.fraction: null has no Kubeflow input form"):
        flatten(Tuned())
    assert flatten(Tuned(fraction=0.5)) == {"fraction": 0.5}
    assert unflatten(Tuned, {"fraction": 0.5}).fraction == 0.5


def test_left_out_keys_take_the_model_defaults():
    config = unflatten(BankTrainingConfig, {"seed": 3, "search_factor": 4})
    assert config.seed == 3 and config.search == SearchConfig(factor=4)
    assert flatten(config, exclude={"seed"}).keys() == flatten(config).keys() - {"seed"}


def test_values_are_json_compatible():
    class Dated(StrictModel):
        run_date: date | None = None
        window: tuple[int, int] = (1, 2)

    flat = flatten(Dated(run_date=date(2024, 5, 1)))
    assert flat == {"run_date": "2024-05-01", "window": [1, 2]}
    assert unflatten(Dated, flat) == Dated(run_date=date(2024, 5, 1))


@pytest.mark.parametrize(
    ("flat", "fragment"),
    [
        ({"sede": 1}, "unknown input(s) sede"),
        ({"search_n_candidate": 1}, "unknown input(s) search_n_candidate"),
        ({"search_cv_folds": 1}, "search.cv_folds"),
        ({"test_fraction": "half"}, "test_fraction"),
    ],
)
def test_bad_inputs_are_one_line_errors(flat, fragment):
    with pytest.raises(InputError) as caught:
        unflatten(BankTrainingConfig, flat)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_two_fields_with_one_flat_name_are_refused():
    class Inner(StrictModel):
        size: int = 1

    class Clash(StrictModel):
        batch: Inner = Inner()
        batch_size: int = 2

    with pytest.raises(ValueError, match="batch_size"):
        flatten(Clash())


def test_input_types_are_the_kfp_types_of_the_flattened_values():
    class Section(StrictModel):
        on: bool = True
        share: float | None = 0.5

    class Typed(StrictModel):
        run_date: date | None = None
        stage: Literal["staging", "production"] = "staging"
        window: tuple[int, int] = (1, 2)
        store_ids: list[int] | None = None
        ranges: dict[str, int] = Field(default_factory=dict)
        seed: int = 0
        section: Section = Section()

    types = input_types(Typed, exclude={"seed", "section_on"})
    assert types == {"run_date": str, "stage": str, "window": list, "store_ids": list,
                     "ranges": dict, "section_share": float}  # fmt: skip
    assert list(types) == list(flatten(Typed(), exclude={"seed", "section_on"}))
    flat = flatten(BankTrainingConfig())
    assert {key: type(value) for key, value in flat.items()} == input_types(BankTrainingConfig)
