"""The classifier: one imbalanced-learn Pipeline (encoding, SMOTE, gradient boosting).

SMOTE sits inside the pipeline, so cross-validation resamples only the training folds and the
validation folds stay real. The decision threshold is tuned on training folds, never on test.
"""

import os
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from scipy.stats import loguniform, randint
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (enables the class)
from sklearn.impute import SimpleImputer
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
)
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from model_factory.bank.config import SMOTE_NEIGHBOURS, BankTrainingConfig

MISSING_LEVEL = "missing"
SEARCH_SPACE = {
    "clf__learning_rate": loguniform(0.01, 0.3),
    "clf__max_leaf_nodes": randint(4, 48),
    "clf__min_samples_leaf": randint(10, 120),
    "clf__l2_regularization": loguniform(1e-3, 10.0),
    "clf__max_iter": randint(50, 250),
}


@dataclass(frozen=True)
class TrainedClassifier:
    """The fitted model (estimator with tuned threshold) and how the search went."""

    model: TunedThresholdClassifierCV
    cv_roc_auc: float
    n_candidates: int
    n_fits: int
    best_params: dict

    def search_summary(self) -> dict:
        """How the search went (what a run records beside its metrics)."""
        return {
            "cv_roc_auc": self.cv_roc_auc,
            "n_candidates": self.n_candidates,
            "n_fits": self.n_fits,
            "best_params": self.best_params,
        }


def build_pipeline(config: BankTrainingConfig) -> Pipeline:
    # Missing features are imputed inside the pipeline, so CV folds learn the fill values from
    # their own training rows and scoring fills the same way: median for numbers, a level of its
    # own ("missing") for categories.
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL)),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    encode = ColumnTransformer(
        [
            ("num", numeric, config.numeric_features),
            ("cat", categorical, config.categorical_features),
        ],
        sparse_threshold=0.0,
    )
    steps = [("encode", encode)]
    if config.sampler == "smote":
        smote = SMOTE(k_neighbors=SMOTE_NEIGHBOURS, random_state=config.seed)
        steps.append(("smote", smote))
    steps.append(("clf", HistGradientBoostingClassifier(random_state=config.seed)))
    return Pipeline(steps)


def split_xy(frame: pd.DataFrame, config: BankTrainingConfig) -> tuple[pd.DataFrame, np.ndarray]:
    return frame[config.features], (frame[config.target] == config.positive_label).to_numpy(int)


def train(frame: pd.DataFrame, config: BankTrainingConfig) -> TrainedClassifier:
    """Search hyper-parameters by CV ROC-AUC, then tune the F1 threshold on training folds.

    Successive halving starts every candidate on a stratified subsample of rows; the floor of
    `min_rows` keeps enough positives in each training fold for SMOTE's neighbours.
    """
    x, y = split_xy(frame, config)
    folds = StratifiedKFold(config.search.cv_folds, shuffle=True, random_state=config.seed)
    search = _RungProgressSearch(
        build_pipeline(config),
        SEARCH_SPACE,
        n_candidates=config.search.n_candidates,
        factor=config.search.factor,
        min_resources=config.search.first_rung_rows(len(x)),
        error_score="raise",  # a failed fit is a bug, not a candidate to skip
        cv=folds,
        scoring="roc_auc",
        random_state=config.seed,
        n_jobs=config.search.n_jobs,
        # scikit-learn's own report is long: only when debugging; one line per rung otherwise.
        verbose=1 if os.environ.get("MODEL_FACTORY_DEBUG") else 0,
    ).fit(x, y)
    tuned = TunedThresholdClassifierCV(
        search.best_estimator_, scoring="f1", cv=folds, n_jobs=config.search.n_jobs
    ).fit(x, y)
    return TrainedClassifier(
        model=tuned,
        cv_roc_auc=float(search.best_score_),
        n_candidates=int(sum(search.n_candidates_)),
        n_fits=int(sum(search.n_candidates_)) * config.search.cv_folds,
        best_params={k: _plain(v) for k, v in search.best_params_.items()},
    )


class _RungProgressSearch(HalvingRandomSearchCV):
    """Successive halving that prints one progress line per rung (candidates, rows per fit,
    best CV ROC-AUC so far, elapsed time). `_run_search` is scikit-learn's documented extension
    point for search classes: it receives the function that evaluates one batch of candidates."""

    def _run_search(self, evaluate_candidates, *, callback_ctx):
        start = time.perf_counter()

        def evaluate_rung(candidate_params, cv, more_results, **context):
            results = evaluate_candidates(candidate_params, cv, more_results, **context)
            rung, rows = more_results["iter"][0], more_results["n_resources"][0]
            best = np.nanmax(results["mean_test_score"])
            print(f"bank search: rung {rung + 1}, {len(candidate_params)} candidates on {rows} "
                  f"rows, best CV ROC-AUC so far {best:.4f}, {time.perf_counter() - start:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
            return results

        super()._run_search(evaluate_rung, callback_ctx=callback_ctx)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
