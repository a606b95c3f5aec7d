"""The benchmarks live in ``bench/`` at the repository root, beside ``src/``: importable when
pytest runs from the root as ``python -m pytest`` (the README's command) and also when it
is started as ``pytest``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
