"""Taxi ride anomaly detection: scale on a reference window, cluster a day; noise = anomaly."""
