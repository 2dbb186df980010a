"""Behavioural tests of the classifier pipeline (Made-With-ML style: leakage, invariance,
direction, minimum functionality), on a small search so they stay fast."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score

from model_factory.bank import data, evaluate, model
from model_factory.bank.config import BankTrainingConfig, SearchConfig
from model_factory.splits import hash_split

FAST = BankTrainingConfig(search=SearchConfig(n_candidates=4, cv_folds=2, n_jobs=1))


@pytest.fixture(scope="module")
def dataset() -> pd.DataFrame:
    return data.validate(data.load(FAST), FAST)


@pytest.fixture(scope="module")
def trained(dataset):
    train, test = hash_split(dataset, FAST.features, FAST.test_fraction, FAST.split_salt)
    return model.train(train, FAST), train, test


def test_smote_resamples_training_folds_only(dataset):
    """Every validation fold the CV scores is made of real rows, in their real number."""
    x, y = model.split_xy(dataset, FAST)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    real_rows = {tuple(r) for r in x.itertuples(index=False)}
    seen_sizes = []

    def scorer(estimator, x_val, y_val):
        seen_sizes.append(len(x_val))
        assert {tuple(r) for r in x_val.itertuples(index=False)} <= real_rows
        assert y_val.mean() == pytest.approx(y.mean(), abs=0.01)  # not rebalanced
        return 0.0

    cross_val_score(model.build_pipeline(FAST), x, y, cv=folds, scoring=scorer)
    assert sorted(seen_sizes) == sorted(len(v) for _, v in folds.split(x, y))

    smote = model.build_pipeline(FAST).fit(x, y).named_steps["smote"]
    encoded = model.build_pipeline(FAST).named_steps["encode"].fit_transform(x)
    resampled_x, resampled_y = smote.fit_resample(encoded, y)
    assert len(resampled_x) > len(x) and resampled_y.mean() == pytest.approx(0.5)


def test_duration_is_not_a_feature_by_default(trained):
    fitted, _, _ = trained
    assert "duration" not in fitted.model.feature_names_in_
    assert list(fitted.model.feature_names_in_) == FAST.features


def test_threshold_comes_from_training_folds(trained):
    """Refitting the threshold tuner on the training part alone gives the same threshold."""
    fitted, train, _ = trained
    x, y = model.split_xy(train, FAST)
    from sklearn.base import clone

    again = clone(fitted.model).fit(x, y)
    assert again.best_threshold_ == pytest.approx(fitted.model.best_threshold_)


def test_invariance_to_columns_the_model_does_not_use(trained):
    fitted, _, test = trained
    raw = test.assign(duration=1)
    shuffled = raw.assign(duration=np.arange(len(raw)) * 37 % 4000)
    np.testing.assert_array_equal(
        fitted.model.predict_proba(raw[FAST.features]),
        fitted.model.predict_proba(shuffled[FAST.features]),
    )


def test_direction_previous_success_raises_probability(trained):
    """A past campaign that succeeded makes subscription more likely (strongest signal)."""
    fitted, _, test = trained
    before = fitted.model.predict_proba(test[FAST.features].assign(poutcome="failure"))[:, 1]
    after = fitted.model.predict_proba(test[FAST.features].assign(poutcome="success"))[:, 1]
    assert np.mean(after > before) > 0.8


def test_minimum_functionality(trained):
    fitted, _, test = trained
    metrics = evaluate.evaluate(fitted.model, test, FAST)
    assert metrics["roc_auc"] > 0.65 and metrics["pr_auc"] > metrics["positive_rate"]
    assert 0.0 < metrics["threshold"] < 1.0
    assert fitted.n_candidates >= 4 and fitted.cv_roc_auc > 0.6


def test_same_seed_same_model(trained):
    fitted, train, test = trained
    again = model.train(train, FAST)
    assert again.best_params == fitted.best_params and again.cv_roc_auc == fitted.cv_roc_auc
    np.testing.assert_array_equal(
        again.model.predict_proba(test[FAST.features]),
        fitted.model.predict_proba(test[FAST.features]),
    )


def test_search_prints_one_progress_line_per_rung(dataset, capfd):
    """Rungs of the halving search show as one line each, scikit-learn's report only when
    debugging (it is pages long on the full search)."""
    two_rungs = FAST.model_copy(update={"search": FAST.search.model_copy(update={"min_rows": 200})})
    model.train(dataset.iloc[:1200], two_rungs)
    lines = capfd.readouterr().err.splitlines()
    rungs = [line for line in lines if line.startswith("bank search: rung")]
    assert [r.split(",")[0] for r in rungs] == [
        f"bank search: rung {i}" for i in range(1, len(rungs) + 1)
    ]
    assert len(rungs) >= 2
    assert not any("n_iterations" in line or "n_candidates:" in line for line in lines)
