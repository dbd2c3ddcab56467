"""bench: declarative benchmarks of neural-network variants, with honest conclusions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from bench.store import load_results as load_results

__all__ = ["__version__", "load_results"]


def __getattr__(name: str) -> Any:
    """``bench.load_results`` without importing pandas on ``import bench`` (the CLI starts fast)."""
    if name == "load_results":
        from bench.store import load_results

        return load_results
    raise AttributeError(f"module 'bench' has no attribute {name!r}")
