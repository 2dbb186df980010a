"""A stored forecaster reads only files inside its own folder, whatever its index names: through
`forecaster.load` (Kubeflow artifacts, reference folders) and through the ZenML materializer."""

import json
import os
import uuid
from pathlib import Path

import pandas as pd
import pytest

from model_factory.errors import InputError
from model_factory.forecasting import forecaster
from model_factory.forecasting.forecaster import INDEX_FILE, Part, StoreForecaster, StoreModel

PROPHET_JSON = json.dumps({"a Prophet model": "its JSON is not parsed until a forecast"})
SECRET = "a file the forecaster must not read"


def _saved(folder: Path) -> Path:
    model = StoreModel(
        store=1, candidate="prophet_additive", cutoff=pd.Timestamp("2015-07-31"),
        open_pattern=(1.0,) * 7, validation_rmspe={"prophet_additive": 0.1},
        parts=(Part("prophet_additive", prophet_json=PROPHET_JSON),),
    )  # fmt: skip
    forecaster.save(StoreForecaster({1: model}, seed=1, interval_width=0.8), folder)
    return folder


def _name_in_index(folder: Path, name: str) -> None:
    index = json.loads((folder / INDEX_FILE).read_text())
    index["stores"][0]["parts"][0]["prophet_file"] = name
    (folder / INDEX_FILE).write_text(json.dumps(index))


def _materialized(folder: Path) -> StoreForecaster:
    from model_factory.integrations.forecast_materializer import StoreForecasterMaterializer

    return StoreForecasterMaterializer(str(folder)).load(StoreForecaster)


def _artifact_store_folder() -> Path:
    """A new folder in the active ZenML artifact store (which refuses paths outside itself)."""
    from zenml.client import Client

    root = Path(Client().active_stack.artifact_store.path) / f"test-{uuid.uuid4().hex}"
    root.mkdir(parents=True)
    return root


LOADERS = {"load": forecaster.load, "materializer": _materialized}


@pytest.fixture(params=LOADERS, ids=LOADERS.keys())
def loader(request, tmp_path):
    """(load function, folder holding the model folder): for the materializer, a folder in the
    artifact store, so only the model folder's own bounds are under test."""
    root = tmp_path if request.param == "load" else _artifact_store_folder()
    (root / "secret.json").write_text(SECRET)
    return LOADERS[request.param], root


def test_a_saved_forecaster_loads(loader):
    load, root = loader
    loaded = load(_saved(root / "model"))
    assert loaded.models[1].parts[0].prophet_json == PROPHET_JSON


@pytest.mark.parametrize("how", ["dot-dot", "absolute"])
def test_an_index_naming_a_file_outside_its_folder_is_refused(loader, how):
    load, root = loader
    folder = _saved(root / "model")
    name = "prophet/../../secret.json" if how == "dot-dot" else str(root / "secret.json")
    _name_in_index(folder, name)
    with pytest.raises(InputError, match=f"names the file '{name}', outside its folder"):
        load(folder)


def test_a_symbolic_link_out_of_the_folder_is_refused(loader):
    load, root = loader
    folder = _saved(root / "model")
    linked = folder / forecaster.prophet_file(1, "prophet_additive")
    linked.unlink()
    linked.symlink_to(root / "secret.json")
    with pytest.raises(InputError, match=f"links to {root / 'secret.json'}, outside its folder"):
        load(folder)


def test_a_symbolic_link_inside_the_folder_is_read(tmp_path):
    folder = _saved(tmp_path / "model")
    linked = folder / forecaster.prophet_file(1, "prophet_additive")
    (folder / "copy.json").write_text(linked.read_text())
    linked.unlink()
    os.symlink("../copy.json", linked)
    assert forecaster.load(folder).models[1].parts[0].prophet_json == PROPHET_JSON
