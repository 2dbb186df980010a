"""Figures as files and as images (what ZenML shows as a visualization).

Figures are built with `matplotlib.figure.Figure` directly, so no GUI backend is involved.
"""

import io
from pathlib import Path

from matplotlib.figure import Figure
from PIL import Image


def save(fig: Figure, path: Path) -> Image.Image:
    """Write the figure as PNG and return it as an image."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")
