"""Make infra_hcl (the HCL helpers these tests share) importable under any pytest import
mode, including --import-mode=importlib, which does not put test folders on sys.path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
