"""Model quality with the default config, without `duration` (honest ROC-AUC is
~0.74 on bank.csv splits and ~0.78-0.80 on bank-full.csv)."""

import numpy as np
import pytest

from model_factory.bank import data, evaluate, model
from model_factory.bank.config import BankTrainingConfig
from model_factory.splits import hash_split


def _test_roc_auc(config: BankTrainingConfig) -> float:
    dataset = data.validate(data.load(config), config)
    train, test = hash_split(dataset, config.features, config.test_fraction, config.split_salt)
    return evaluate.evaluate(model.train(train, config).model, test, config)["roc_auc"]


@pytest.mark.slow
def test_bank_csv_mean_roc_auc_over_five_split_salts():
    scores = [_test_roc_auc(BankTrainingConfig(split_salt=salt)) for salt in range(5)]
    print("bank.csv test ROC-AUC by salt:", [round(s, 3) for s in scores])
    assert np.mean(scores) >= 0.70


@pytest.mark.slow
def test_bank_full_csv_roc_auc():
    score = _test_roc_auc(BankTrainingConfig(bundled_file="bank-full.csv"))
    print("bank-full.csv test ROC-AUC:", round(score, 4))
    assert score >= 0.78
