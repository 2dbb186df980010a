"""Tables other than the bundled one: any separator, and features with missing values.

The classifier imputes missing features inside its pipeline (median for numbers, a "missing"
level for categories), so cross-validation learns fill values from training folds only and
scoring fills the same way; a missing target is still bad input.
"""

import numpy as np
import pandas as pd
import pytest

from model_factory.bank import data, evaluate, model, predict
from model_factory.bank.config import BankTrainingConfig, SearchConfig
from model_factory.errors import InputError
from model_factory.splits import hash_split
from model_factory.validation import detect_separator, read_table

FAST = BankTrainingConfig(search=SearchConfig(n_candidates=4, cv_folds=2, n_jobs=1))
HOLES = {"balance": 0.2, "age": 0.05, "job": 0.15, "education": 0.1}


@pytest.fixture(scope="module")
def bank() -> pd.DataFrame:
    return data.load(FAST)


def _with_holes(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column, share in HOLES.items():
        if pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype(float)
        out.loc[rng.random(len(out)) < share, column] = np.nan
    return out


@pytest.mark.parametrize("separator", [";", ",", "\t", "|"])
def test_the_separator_is_read_off_the_header(bank, tmp_path, separator):
    path = tmp_path / "table.csv"
    bank.head(50).to_csv(path, sep=separator, index=False)
    assert detect_separator(path.read_text().splitlines()[0]) == separator
    read = read_table(path, sep="auto")
    pd.testing.assert_frame_equal(read, bank.head(50))


def test_a_one_column_file_reads_as_one_column(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("y\nyes\nno\n")
    assert list(read_table(path, sep="auto").columns) == ["y"]


@pytest.fixture(scope="module")
def holed(bank):
    dataset = data.validate(_with_holes(bank), FAST)
    train, test = hash_split(dataset, FAST.features, FAST.test_fraction, FAST.split_salt)
    return dataset, model.train(train, FAST).model, test


def test_a_table_with_missing_features_trains_and_says_how_many_were_imputed(bank, holed):
    dataset, classifier, test = holed
    missing = data.missing_values(dataset, FAST)
    assert set(missing) == set(HOLES)
    for column, share in HOLES.items():
        assert missing[column] == pytest.approx(share * len(dataset), rel=0.25)
    scores = evaluate.evaluate(classifier, test, FAST)
    assert scores["roc_auc"] > 0.65  # minimum function: a fifth of balance gone, far above chance


def test_imputation_gives_categories_a_level_of_their_own(holed):
    _, classifier, test = holed
    known = predict.known_categories(classifier, FAST)
    assert "missing" in known["job"] and "nan" not in known["job"]
    batch = predict.validate_batch(test, FAST, "batch")
    assert batch["job"].isna().any()  # kept missing, not turned into the text "nan"
    assert "job" not in predict.unseen_categories(batch, known)


def test_scoring_fills_missing_values_as_training_did(holed):
    """Invariance: a row scored with its missing value filled by the training median (or the
    "missing" level) gets the same probability as the row with the value missing."""
    _, classifier, test = holed
    rows = test[test["balance"].isna() | test["job"].isna()].head(20)
    assert len(rows)
    filled = rows.assign(
        balance=rows["balance"].fillna(_median(classifier, "balance")),
        job=rows["job"].fillna("missing"),
    )
    np.testing.assert_allclose(
        classifier.predict_proba(rows[FAST.features])[:, 1],
        classifier.predict_proba(filled[FAST.features])[:, 1],
    )


def _median(classifier, column: str) -> float:
    numeric = classifier.estimator_.named_steps["encode"].named_transformers_["num"]
    return numeric.named_steps["impute"].statistics_[FAST.numeric_features.index(column)]


def test_infinity_is_still_not_a_missing_value(bank):
    broken = bank.assign(balance=bank["balance"].astype(float))
    broken.loc[3, "balance"] = np.inf
    with pytest.raises(InputError, match="column balance has 1 non-finite value"):
        data.validate(broken, FAST, source="in.csv")
