"""ZenML materializer of the per-store forecaster: JSON files only, no pickles.

The artifact folder holds `index.json` (chosen candidate, cutoff and naive state per store) and
`prophet/store_<id>.json` (Prophet's own `model_to_json`), readable without ZenML. Loading reads
only files inside the artifact's folder, whatever the index names (`forecaster.inside`).
"""

import os
from typing import Any, ClassVar

from zenml.enums import ArtifactType
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.metadata.metadata_types import MetadataType

from model_factory.forecasting import forecaster
from model_factory.forecasting.forecaster import StoreForecaster


class StoreForecasterMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (StoreForecaster,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.MODEL

    def save(self, data: StoreForecaster) -> None:
        for relative, text in data.to_files().items():
            path = os.path.join(self.uri, relative)
            self.artifact_store.makedirs(os.path.dirname(path))
            with self.artifact_store.open(path, "w") as handle:
                handle.write(text)

    def load(self, data_type: type[Any]) -> StoreForecaster:
        def read(relative: str) -> str:
            with self.artifact_store.open(forecaster.inside(self.uri, relative), "r") as handle:
                return handle.read()

        return StoreForecaster.from_files(read)

    def extract_metadata(self, data: StoreForecaster) -> dict[str, MetadataType]:
        return {
            "n_stores": len(data.stores),
            "training_cutoff": data.cutoff.strftime("%Y-%m-%d"),
            "candidates": data.candidate_counts(),
            "interval_width": data.interval_width,
        }
