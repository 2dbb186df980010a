"""The store forecast service (FastAPI): `app.create_app`, run by `model-factory serve`."""
