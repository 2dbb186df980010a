"""Store sales forecasting (Rossmann contract): one model per store, chosen on validation."""
