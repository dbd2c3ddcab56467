"""The limits a suite must keep, in one table, and the checks that apply them.

A suite is a few kilobytes of YAML and a model that fits a machine.  Anything
far beyond that is a mistake or an attack (an alias bomb, 50,000 nested
brackets, ``epochs: 1e9``), so it is refused before any work is done, with
one line that states the limit.  The README lists these numbers.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Optional, Sequence, Union

import yaml

__all__ = [
    "CONFIG_LIMITS",
    "MAX_GRID_CELLS",
    "MAX_SUITE_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "YamlLimitError",
    "check_yaml_events",
    "config_limit_problem",
    "strict_type_problem",
    "yaml_loader",
]

PathPart = Union[str, int]

MAX_SUITE_BYTES = 1_000_000  #: a suite file larger than this is refused unread
MAX_YAML_DEPTH = 50  #: nesting of mappings and lists
MAX_YAML_NODES = 20_000  #: values in the document, each alias counted as what it expands to
MAX_GRID_CELLS = 1_000  #: variants one ``grid`` may make

#: Upper bounds of configuration values, by key name (list items take their list's name).
CONFIG_LIMITS: dict[str, tuple[int, str]] = {
    "epochs": (10_000, "epochs"),
    "batch_size": (65_536, "a batch size"),
    "image_size": (4_096, "an image side"),
    "filters": (16_384, "filters"),
    "level_filters": (16_384, "filters"),
    "head_filters": (16_384, "filters"),
    "dense": (65_536, "a dense layer width"),
    "coarse_dense": (65_536, "a dense layer width"),
    "fine_dense": (65_536, "a dense layer width"),
    "mlp": (16_384, "an mlpconv width"),
    "convs": (64, "convolutions per block"),
    "kernel": (64, "a kernel side"),
}


class YamlLimitError(ValueError):
    """A suite file beyond a limit; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: Optional[int] = None) -> None:
        super().__init__(message)
        self.line = line


def yaml_loader() -> type:
    """libyaml's loader when PyYAML was built with it (a hundred times faster), else PyYAML's."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_yaml_events(text: str) -> None:
    """Walk the YAML events once, in bounded memory, before anything builds a tree.

    Raises:
        YamlLimitError: nesting deeper than ``MAX_YAML_DEPTH``, an alias inside its
            own anchor (a cycle), or more than ``MAX_YAML_NODES`` values once every
            alias is expanded (an alias bomb).
        yaml.YAMLError: the text is not YAML (reported by the caller as usual).
    """
    open_frames: list[list[Any]] = []  # [anchor, expanded size] of each open collection
    finished: dict[str, int] = {}  # anchor → expanded size of its node
    total = 0

    def add(size: int, line: int) -> None:
        nonlocal total
        if open_frames:
            open_frames[-1][1] += size
            count = open_frames[-1][1]
        else:
            total += size
            count = total
        if count > MAX_YAML_NODES:
            raise YamlLimitError(
                f"the document expands to more than {MAX_YAML_NODES:,} values (aliases "
                "counted as what they repeat); a suite is a few hundred — is this an alias bomb?",
                line,
            )

    for event in yaml.parse(text, Loader=yaml_loader()):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(open_frames) >= MAX_YAML_DEPTH:
                raise YamlLimitError(
                    f"nested deeper than {MAX_YAML_DEPTH} levels of mappings and lists", line
                )
            open_frames.append([event.anchor, 1])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, size = open_frames.pop()
            if anchor is not None:
                finished[anchor] = size
            add(size, line or 0)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                finished[event.anchor] = 1
            add(1, line or 0)
        elif isinstance(event, yaml.AliasEvent):
            if any(frame[0] == event.anchor for frame in open_frames):
                raise YamlLimitError(
                    f"alias *{event.anchor} refers to a value that contains it (a cycle)", line
                )
            add(finished.get(event.anchor, 1), line or 0)


def strict_type_problem(
    raw: Any, clean: Any, path: tuple[PathPart, ...] = ()
) -> Optional[tuple[tuple[PathPart, ...], Any, str]]:
    """Where a value was accepted only by conversion (``true`` → 1, ``"5"`` → 5, ``5.0`` → 5).

    ``raw`` is what the suite wrote, ``clean`` the validated configuration dumped
    back to Python; returns (path, written value, what is allowed) or None.
    """
    if isinstance(raw, dict) and isinstance(clean, dict):
        for key, value in raw.items():
            if key in clean:
                found = strict_type_problem(value, clean[key], (*path, key))
                if found:
                    return found
        return None
    if isinstance(raw, (list, tuple)) and isinstance(clean, (list, tuple)):
        for index, (value, checked) in enumerate(zip(raw, clean)):
            found = strict_type_problem(value, checked, (*path, index))
            if found:
                return found
        return None
    if isinstance(raw, bool) and not isinstance(clean, bool) and isinstance(clean, (int, float)):
        return path, raw, "must be a number, not true or false"
    if isinstance(clean, bool) and not isinstance(raw, bool):
        return path, raw, "must be true or false"
    if isinstance(raw, str) and isinstance(clean, (int, float)):
        return path, raw, "must be a number, not text (remove the quotes)"
    if isinstance(raw, float) and isinstance(clean, int):
        return path, raw, "must be a whole number"
    return None


def _walk(value: Any, path: tuple[PathPart, ...] = ()) -> Iterator[tuple[tuple[PathPart, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))
    else:
        yield path, value


def config_limit_problem(config: Any) -> Optional[tuple[tuple[PathPart, ...], Any, str]]:
    """The first value beyond :data:`CONFIG_LIMITS`, or a float that is not finite."""
    for path, value in _walk(config):
        if isinstance(value, float) and not math.isfinite(value):
            return path, value, "must be a finite number"
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        names = [part for part in path if isinstance(part, str)]
        if names and names[0] == "model" and "params" in names:
            continue  # a python builder's own parameters: its business
        name = names[-1] if names else ""
        if name in CONFIG_LIMITS:
            limit, what = CONFIG_LIMITS[name]
            if value > limit:
                return path, value, f"must be at most {limit:,} ({what})"
    return None


def grid_cells(values: Sequence[Sequence[Any]]) -> int:
    """How many variants a grid makes (the product of its value counts)."""
    return math.prod(len(v) for v in values)
