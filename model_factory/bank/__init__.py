"""Bank marketing term-deposit classification (UCI bank marketing, imbalanced)."""
