"""ZenML's pandas materializer plus a hash of the frame's content, for what loaders return.

A loader reads a mutable source (a file can change under the same path), so it is never answered
from ZenML's cache: it runs every time and writes a new artifact. ZenML keys the cache of the
steps that read that artifact on its content hash when the materializer gives one, else on the
artifact's id, which is new on each run. With this hash, validation and splits are answered from
the cache when the loaded data is the same as before, and run again when it changed.
"""

import hashlib
from typing import Any

import pandas as pd
from zenml.materializers.pandas_materializer import PandasMaterializer


class HashedPandasMaterializer(PandasMaterializer):
    SKIP_REGISTRATION = True  # only for the outputs that name it: other frames keep the default

    def compute_content_hash(self, data: Any) -> str | None:
        """SHA-256 of the names, dtypes and values (index included); None when a column holds
        values pandas cannot hash (ZenML then keys on the artifact id)."""
        frame = data.to_frame() if isinstance(data, pd.Series) else data
        digest = hashlib.sha256(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
        try:
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        except TypeError:
            return None
        return digest.hexdigest()
