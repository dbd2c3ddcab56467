"""Differences between two resolved configurations, as key paths.

Light on purpose (no pydantic, no TensorFlow): reports and ``bench diff`` use
it to say what a variant changed, derived from the configs, never hand-written.
"""

from __future__ import annotations

import json
from typing import Any, Sequence, Union

PathPart = Union[str, int]  # a key, an index, or "*" for every item

#: ``train`` keys that say how often or how long to run, not what one run trains: they stay
#: out of run keys and are never shown as a change a variant made.
BOOKKEEPING_KEYS = ("seeds", "seed_offset", "max_minutes")


def what_runs(config: dict[str, Any]) -> dict[str, Any]:
    """A resolved config without how many seeds or how long: what one run trains."""
    config = json.loads(json.dumps(config))
    for key in BOOKKEEPING_KEYS:
        config.get("train", {}).pop(key, None)
    return config


def is_bookkeeping(path: str) -> bool:
    """Whether a change's key path is bookkeeping (``train.seeds``), not a change to a run."""
    return path in {f"train.{key}" for key in BOOKKEEPING_KEYS}


def format_path(parts: Sequence[PathPart]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int) or part == "*" and text:
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def config_diff(base: Any, other: Any, prefix: Sequence[PathPart] = ()) -> list[list[Any]]:
    """``[[path, base value, other value], ...]`` for every leaf that differs.

    A list whose items all changed the same way is shown once as ``[*]``.
    """
    if isinstance(base, dict) and isinstance(other, dict):
        changes: list[list[Any]] = []
        for key in list(base) + [k for k in other if k not in base]:
            changes += config_diff(base.get(key), other.get(key), [*prefix, key])
        return changes
    if isinstance(base, list) and isinstance(other, list) and len(base) == len(other) and base:
        per_item = [config_diff(b, o, [*prefix, "*"]) for b, o in zip(base, other)]
        if all(items == per_item[0] for items in per_item) and len(base) > 1:
            return per_item[0]
        return [
            change
            for i, (b, o) in enumerate(zip(base, other))
            for change in config_diff(b, o, [*prefix, i])
        ]
    if isinstance(base, list) and isinstance(other, list) and base and other:
        common = min(len(base), len(other))  # lists of different length: item by item
        changes = [c for i in range(common) for c in config_diff(base[i], other[i], [*prefix, i])]
        changes += [[format_path([*prefix, i]), None, other[i]] for i in range(common, len(other))]
        changes += [[format_path([*prefix, i]), base[i], None] for i in range(common, len(base))]
        return changes
    if base != other:
        return [[format_path(prefix), base, other]]
    return []


def describe_changes(changes: list[list[Any]]) -> str:
    """``model.activation: relu → tanh; train.batch_size: 128 → 64`` (or "baseline")."""
    if not changes:
        return "—"
    return "; ".join(_describe_one(path, a, b) for path, a, b in changes)


def _describe_one(path: str, before: Any, after: Any) -> str:
    if before is None and after is not None:
        return f"+{path} {_short(after)}"
    if after is None and before is not None:
        return f"−{path}"
    return f"{path}: {_short(before)} → {_short(after)}"


def _short(value: Any) -> str:
    if isinstance(value, dict):  # a block: its values, without the key noise of JSON
        text = "{" + ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, False, 0, 0.0) or k == "filters") + "}"
    else:
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."
