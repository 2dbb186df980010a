"""model_factory/serving."""
