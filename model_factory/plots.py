"""Figures as files, images (what ZenML shows as a visualization) and HTML (what KFP shows).

Figures are built with `matplotlib.figure.Figure` directly, so no GUI backend is involved.
"""

import base64
import io
from html import escape
from pathlib import Path

from matplotlib.figure import Figure
from PIL import Image

from model_factory import outputs


def save(fig: Figure, path: Path) -> Image.Image:
    """Write the figure as PNG and return it as an image."""
    png = _png(fig)
    outputs.write_bytes(path, png)
    return Image.open(io.BytesIO(png)).convert("RGB")


def html(fig: Figure, title: str) -> str:
    """The figure as a self-contained HTML page (the Kubeflow UI renders HTML artifacts)."""
    data = base64.b64encode(_png(fig)).decode()
    title = escape(title)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><img alt='{title}' src='data:image/png;base64,{data}'></body></html>"
    )


def img_tag(fig: Figure, alt: str) -> str:
    """The figure as an `<img>` element with the PNG inlined, for HTML reports."""
    data = base64.b64encode(_png(fig)).decode()
    return f"<img alt='{escape(alt)}' src='data:image/png;base64,{data}'>"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
