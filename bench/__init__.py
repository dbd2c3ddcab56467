"""bench: declarative benchmarks of neural-network variants, with honest conclusions."""

from __future__ import annotations

__version__ = "0.1.0"
