"""model_factory/integrations."""
