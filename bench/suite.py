"""Suites: parse a YAML file, validate all of it, expand variants into runs.

A suite is a base configuration (``dataset``, ``train``, ``model``) plus
``variants`` — each a name and overrides by key path (``model.blocks[0].kernel``,
``model.blocks[*].dropout``) — and an optional ``grid`` whose cartesian product
becomes more variants.  Everything is checked before anything runs; a mistake
raises :class:`~bench.errors.BenchError` with one line naming the file, the
line, the key path, the bad value and what is allowed.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Sequence, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bench import limits, metrics
from bench.config import RunConfig
from bench.configdiff import config_diff, describe_changes, format_path, what_runs
from bench.errors import BenchError
from bench.plaintext import control_character

__all__ = ["load_suite", "Suite", "Variant", "RunSpec", "run_key", "parse_path", "set_path",
           "config_diff", "describe_changes"]

BASE_NAME = "base"
KEY_VERSION = 1
_NAME_PATTERN = r"^\S(?:[^\r\n]*\S)?$"  # any one-line text: names are shown, never executed

PathPart = Union[str, int]  # a key, an index, or "*" for every item


# -- the file's top level -------------------------------------------------------------
class Claim(BaseModel):
    """What the suite's author expects a variant to do to a metric."""

    model_config = ConfigDict(extra="forbid")

    metric: str = "accuracy"
    direction: Literal["up", "down", "same"]
    note: str = ""

    @field_validator("note")
    @classmethod
    def _one_line(cls, text: str) -> str:
        return _printable(text)

    @field_validator("metric")
    @classmethod
    def _claimable(cls, metric: str) -> str:
        # Asked at validation time, so a metric a task or a test registers later counts.
        allowed = metrics.claimable()
        if metric not in allowed:
            raise ValueError(f"allowed: {', '.join(repr(name) for name in allowed)}")
        return metric


def _printable(text: str, allow_newlines: bool = False) -> str:
    """Names, titles and notes reach terminals and reports: no control characters in them."""
    found = control_character(text, allow_newlines)
    if found:
        raise ValueError(f"contains {found}; allowed: printable text")
    return text


class VariantEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME_PATTERN, max_length=120)
    set: dict[str, Any] = {}
    claim: Optional[Claim] = None
    description: str = ""

    @field_validator("name")
    @classmethod
    def _printable_name(cls, text: str) -> str:
        return _printable(text)

    @field_validator("description")
    @classmethod
    def _printable_description(cls, text: str) -> str:
        return _printable(text, allow_newlines=True)


class UntilConclusive(BaseModel):
    """The suite's own sequential design: a plain ``bench run`` adds seeds to the
    comparisons still open, look by look, up to ``max_seeds`` (see bench.adaptive)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    max_seeds: int = Field(default=10, ge=2, le=1000)
    spending: Literal["obrien-fleming", "pocock"] = "obrien-fleming"


class SuiteFile(BaseModel):
    """The top level of a suite file; the run config is checked by RunConfig."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)
    title: str = ""
    description: str = ""
    dataset: dict[str, Any]
    train: dict[str, Any] = {}
    model: dict[str, Any]
    variants: list[VariantEntry] = []
    grid: dict[str, list[Any]] = {}
    baseline: str = BASE_NAME
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    min_effect: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    lang: Literal["en", "ru"] = "en"
    profiles: dict[str, dict[str, Any]] = {}
    until_conclusive: Optional[UntilConclusive] = None

    @field_validator("until_conclusive", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        """``until_conclusive: true`` is the design with its defaults; ``false`` is none."""
        if value is True:
            return {}
        if value is False or value is None or isinstance(value, dict):
            return None if value is False else value
        raise ValueError("allowed: true, false, or {max_seeds: K, spending: obrien-fleming or pocock}")

    @field_validator("title", "baseline")
    @classmethod
    def _printable_title(cls, text: str) -> str:
        return _printable(text)

    @field_validator("description")
    @classmethod
    def _printable_description(cls, text: str) -> str:
        return _printable(text, allow_newlines=True)

    @field_validator("profiles")
    @classmethod
    def _printable_profile_names(cls, profiles: dict[str, Any]) -> dict[str, Any]:
        for name in profiles:
            found = control_character(name)
            if found:
                raise ValueError(f"profile name {json.dumps(name)} contains {found}; allowed: printable text")
        return profiles


# -- results of loading ---------------------------------------------------------------
@dataclass(frozen=True)
class RunSpec:
    """One training run: a variant's resolved config and one seed."""

    suite: str
    variant: str
    seed: int
    config: RunConfig
    key: str


@dataclass
class Variant:
    name: str
    config: RunConfig
    overrides: dict[str, Any] = field(default_factory=dict)
    claim: Optional[Claim] = None
    description: str = ""

    def seeds(self, count: Optional[int] = None) -> list[int]:
        offset = self.config.train.seed_offset
        return list(range(offset, offset + (count or self.config.train.seeds)))


@dataclass
class Suite:
    name: str
    title: str
    description: str
    path: Path
    variants: list[Variant]
    baseline: str = BASE_NAME
    alpha: float = 0.05
    min_effect: float = 0.0
    lang: str = "en"
    profile: Optional[str] = None
    until_conclusive: Optional[UntilConclusive] = None

    def variant(self, name: str) -> Variant:
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise BenchError(
            f"{self.path}: no variant {name!r}; the suite has: "
            + ", ".join(v.name for v in self.variants)
        )

    def specs(self, seeds: Optional[int] = None, only: Sequence[str] = ()) -> list[RunSpec]:
        """Every (variant, seed) run, baseline first; ``only`` limits to named variants."""
        chosen = [self.variant(name) for name in only] if only else self.variants
        return [
            RunSpec(self.name, v.name, seed, v.config, run_key(v.config, seed))
            for v in chosen
            for seed in v.seeds(seeds)
        ]

    def definition(self) -> dict[str, Any]:
        """A JSON-able description for the store, so reports need no suite file."""
        base = self.variant(BASE_NAME).config.model_dump(mode="json")
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "source": str(self.path),
            "profile": self.profile,
            "baseline": self.baseline,
            "alpha": self.alpha,
            "min_effect": self.min_effect,
            "lang": self.lang,
            **({"until_conclusive": self.until_conclusive.model_dump()} if self.until_conclusive else {}),
            "variants": [
                {
                    "name": v.name,
                    "set": v.overrides,
                    "claim": v.claim.model_dump() if v.claim else None,
                    "description": v.description,
                    "config": v.config.model_dump(mode="json"),
                    "changes": config_diff(what_runs(base), what_runs(v.config.model_dump(mode="json"))),
                }
                for v in self.variants
            ],
        }


def run_key(config: RunConfig, seed: int) -> str:
    """Hash of the fully resolved configuration (dataset included) and the seed."""
    material = {"v": KEY_VERSION, "config": config.key_material(), "seed": seed}
    text = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


# -- YAML with line numbers ------------------------------------------------------------
class _Lines:
    """Line numbers of every key and item of a YAML document, by path."""

    def __init__(self) -> None:
        self.by_path: dict[tuple[PathPart, ...], int] = {}

    def line(self, path: Sequence[PathPart]) -> Optional[int]:
        path = tuple(path)
        while path:
            if path in self.by_path:
                return self.by_path[path]
            path = path[:-1]
        return self.by_path.get((), None)


def _index_lines(node: yaml.Node, path: tuple[PathPart, ...], lines: _Lines, source: str) -> None:
    lines.by_path.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise BenchError(
                    f"{source}:{key_node.start_mark.line + 1}: {format_path(path + (key,))}: "
                    "duplicate key; each key may appear once"
                )
            seen.add(key)
            lines.by_path[path + (key,)] = key_node.start_mark.line + 1
            _index_lines(value_node, path + (key,), lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.by_path[path + (index,)] = item.start_mark.line + 1
            _index_lines(item, path + (index,), lines, source)


def _read_yaml(path: Path) -> tuple[Any, _Lines]:
    text = _read_suite_text(path)
    loader_class = limits.yaml_loader()
    try:
        limits.check_yaml_events(text)  # bounded: before any tree is built
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except limits.YamlLimitError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise BenchError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        bad_line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        if "[" in bad_line and ("{" in bad_line or "[*]" in bad_line):
            problem += '; quote key paths that contain [i] or [*], e.g. "model.blocks[*].dropout": 0.1'
        raise BenchError(f"{where}: invalid YAML: {problem}") from None
    except RecursionError:  # a constructor past the depth check; kept as one line all the same
        raise BenchError(f"{path}: nested too deeply to read") from None
    lines = _Lines()
    if node is not None:
        _index_lines(node, (), lines, str(path))
    if not isinstance(data, dict):
        raise BenchError(f"{path}:1: a suite file is a mapping with name, dataset, model, ...")
    return data, lines


def _read_suite_text(path: Path) -> str:
    """The file's text, refusing folders, devices and files beyond the size limit unread."""
    try:
        if path.is_dir():
            raise BenchError(f"{path}: is a folder, not a suite file")
        with open(path, "rb") as stream:
            raw = stream.read(limits.MAX_SUITE_BYTES + 1)
    except FileNotFoundError:
        raise BenchError(f"{path}: no such suite file") from None
    except OSError as exc:
        from bench.files import describe_os_error

        raise BenchError(f"{path}: cannot read suite file ({describe_os_error(exc)})") from None
    if len(raw) > limits.MAX_SUITE_BYTES:
        raise BenchError(
            f"{path}: larger than {limits.MAX_SUITE_BYTES:,} bytes, the limit for a suite file "
            "(a suite is a few kilobytes)"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BenchError(f"{path}:{line}: cannot read suite file: not UTF-8 text") from None


# -- key paths --------------------------------------------------------------------------
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")


def parse_path(text: str) -> list[PathPart]:
    """``model.blocks[0].kernel`` → ``['model', 'blocks', 0, 'kernel']``."""
    parts: list[PathPart] = []
    position = 0
    for match in _TOKEN.finditer(text):
        gap = text[position : match.start()]
        if gap not in ("", "."):
            raise ValueError(f"malformed key path {text!r}")
        key, index = match.groups()
        parts.append(key if key is not None else ("*" if index == "*" else int(index)))
        position = match.end()
    if position != len(text) or not parts or not isinstance(parts[0], str):
        raise ValueError(
            f"malformed key path {text!r}; write keys with dots and list items as [i] or [*], "
            "e.g. model.blocks[0].kernel"
        )
    return parts


def set_path(data: Any, parts: Sequence[PathPart], value: Any, done: Sequence[PathPart] = ()) -> None:
    """Set ``value`` at ``parts`` inside ``data``; the path must already exist."""
    head, rest = parts[0], parts[1:]
    here = format_path(done) or "the suite"
    if head == "*" or isinstance(head, int):
        if not isinstance(data, list):
            raise ValueError(f"{here} is not a list, so [{head}] does not apply")
        indices = range(len(data)) if head == "*" else [head]
        if head != "*" and not 0 <= head < len(data):
            raise ValueError(
                f"{format_path([*done, head])} does not exist; {here} has {len(data)} items "
                f"(indices 0..{len(data) - 1})"
            )
        for i in indices:
            if rest:
                set_path(data[i], rest, value, [*done, i])
            else:
                data[i] = copy.deepcopy(value)
        return
    if not isinstance(data, dict):
        raise ValueError(f"{here} has no keys, so .{head} does not apply")
    if head not in data:
        allowed = ", ".join(sorted(data)) or "none"
        raise ValueError(f"{format_path([*done, head])} does not exist; {here} has: {allowed}")
    if rest:
        set_path(data[head], rest, value, [*done, head])
    else:
        data[head] = copy.deepcopy(value)


# -- validation errors → one line ---------------------------------------------------------
def _schema_loc(loc: Sequence[Any], tags: set[str]) -> list[PathPart]:
    """Drop the union tags pydantic inserts (``model.cnn.blocks`` → ``model.blocks``)."""
    parts: list[PathPart] = []
    for i, part in enumerate(loc):
        if i == 1 and loc[0] == "model" and part in tags:
            continue
        if i >= 1 and loc[i - 1] == "backbone" and (part in tags or part == "vgg"):  # an SSD's backbone union
            continue
        if isinstance(part, str) and part.startswith("function-"):
            continue
        parts.append(part)
    return parts


def _describe_error(error: dict[str, Any], model_fields: dict[str, Any]) -> str:
    kind = error["type"]
    message = error["msg"]
    if kind == "extra_forbidden":
        if not model_fields:
            return "unknown key"
        return f"unknown key; allowed keys here: {', '.join(model_fields)}"
    if kind == "missing":
        return "required key is missing"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        from bench.models import FAMILY_MODULES

        tag = error.get("ctx", {}).get("tag")
        shown = f"unknown model family {tag!r}" if tag else "model.family is missing"
        return f"{shown}; allowed: {', '.join(FAMILY_MODULES)}"
    value = error.get("input")
    message = message.replace("Input should be", "must be").replace("Value error, ", "")
    if kind == "string_pattern_mismatch":
        message = (
            "allowed: letters, digits and . _ - (no spaces or slashes)"
            if "A-Za-z" in str(error.get("ctx", {}).get("pattern", ""))
            else "allowed: one line of text without leading or trailing spaces"
        )
    if kind.startswith("literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        message = f"allowed: {expected}"
    shown = json.dumps(value, ensure_ascii=False, default=str) if value is not None else "null"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} is not allowed — {message}"


def _fields_at(model: Any, loc: Sequence[PathPart]) -> dict[str, Any]:
    """The keys allowed in the mapping holding the error (for 'unknown key')."""
    from typing import get_args, get_origin

    def fields_of(annotation: Any) -> list[Any]:
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        found: list[Any] = []
        for arg in get_args(annotation) if origin else ():
            found += fields_of(arg)
        return found

    candidates: list[Any] = [model]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        tagged = [c for c in candidates if _family_of(c) == part]
        if len(candidates) > 1 and tagged:  # pydantic's union tag picks the family
            candidates = tagged
            continue
        following: list[Any] = []
        for candidate in candidates:
            info = candidate.model_fields.get(part)
            if info is not None:
                following += fields_of(info.annotation)
        if not following:
            return {}
        candidates = following
    return candidates[0].model_fields if len(candidates) == 1 else {}


def _family_of(config_class: Any) -> Optional[str]:
    info = getattr(config_class, "model_fields", {}).get("family")
    return info.default if info is not None else None


class _Context:
    """Turns problems into ``file:line: path: message`` and collects them."""

    def __init__(self, source: Path, lines: _Lines) -> None:
        self.source = source
        self.lines = lines

    def fail(
        self,
        path: Sequence[PathPart],
        message: str,
        line_path: Optional[Sequence[PathPart]] = None,
        label: str = "",
    ) -> BenchError:
        line = self.lines.line(line_path if line_path is not None else path)
        where = f"{self.source}:{line}" if line else str(self.source)
        key = format_path(path)
        return BenchError(f"{where}: {label}{key}: {message}" if key else f"{where}: {label}{message}")

    def from_validation(
        self,
        exc: ValidationError,
        schema: Any,
        prefix: Sequence[PathPart] = (),
        line_for: Optional[Any] = None,
        label: str = "",
    ) -> BenchError:
        from bench.models import FAMILY_MODULES

        error = exc.errors()[0]
        loc = [*prefix, *_schema_loc(error["loc"], set(FAMILY_MODULES))]
        stripped = loc[len(prefix) :]
        raw_loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        detail = _describe_error(error, _fields_at(schema, raw_loc))
        line_path = line_for(loc) if line_for else loc
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
        return self.fail(loc, f"{detail}{suffix}", line_path, label)


# -- loading ----------------------------------------------------------------------------
def load_suite(
    path: str | Path,
    profile: Optional[str] = None,
    seeds: Optional[int] = None,
) -> Suite:
    """Read, validate and expand a suite file.  Raises BenchError on any mistake."""
    path = Path(path)
    data, lines = _read_yaml(path)
    context = _Context(path, lines)
    try:
        top = SuiteFile.model_validate(data)
    except ValidationError as exc:
        raise context.from_validation(exc, SuiteFile) from None

    base_raw = {"dataset": top.dataset, "train": top.train, "model": top.model}
    base_config = _validate_config(base_raw, context)

    if profile is not None:
        if profile not in top.profiles:
            allowed = ", ".join(top.profiles) or "none defined"
            raise BenchError(f"{path}: profiles.{profile}: no such profile; allowed: {allowed}")
        base_config = _apply_overrides(
            base_config, top.profiles[profile], context, ("profiles", profile), f"profile {profile!r}: "
        )
    else:
        for name, overrides in top.profiles.items():  # check every profile even when unused
            _apply_overrides(base_config, overrides, context, ("profiles", name), f"profile {name!r}: ")
    if seeds is not None:
        base_config = base_config.model_copy(
            update={"train": base_config.train.model_copy(update={"seeds": seeds})}
        )

    variants = [Variant(BASE_NAME, base_config, description="the base configuration")]
    seen = {BASE_NAME: ("name",)}
    for index, entry in enumerate(top.variants):
        where: tuple[PathPart, ...] = ("variants", index)
        if entry.name in seen:
            raise context.fail(
                [*where, "name"],
                f"duplicate variant name {entry.name!r}"
                + (" (reserved for the base configuration)" if entry.name == BASE_NAME else ""),
            )
        seen[entry.name] = where
        config = _apply_overrides(base_config, entry.set, context, (*where, "set"), f"variant {entry.name!r}: ")
        variants.append(Variant(entry.name, config, entry.set, entry.claim, entry.description))
    variants += _expand_grid(top.grid, base_config, context, seen)

    design = top.until_conclusive
    if design is not None and design.max_seeds < base_config.train.seeds and profile is None and seeds is None:
        raise context.fail(
            ["until_conclusive", "max_seeds"],
            f"{design.max_seeds} is fewer than train.seeds ({base_config.train.seeds}); "
            f"allowed: at least {base_config.train.seeds}",
        )
    if top.baseline not in seen:
        raise context.fail(
            ["baseline"],
            f"{top.baseline!r} is not a variant; allowed: {', '.join(seen)}",
        )
    return Suite(
        name=top.name,
        title=top.title or top.name,
        description=top.description,
        path=path,
        variants=variants,
        baseline=top.baseline,
        alpha=top.alpha,
        min_effect=top.min_effect,
        lang=top.lang,
        profile=profile,
        until_conclusive=top.until_conclusive,
    )


def _validate_config(raw: dict[str, Any], context: _Context) -> RunConfig:
    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as exc:
        raise context.from_validation(exc, RunConfig) from None
    _check_strict(raw, config, context)
    return config


def _check_strict(
    raw: dict[str, Any],
    config: RunConfig,
    context: _Context,
    line_for: Optional[Any] = None,
    label: str = "",
) -> None:
    """No value accepted by conversion (``epochs: true``), none beyond the limits."""
    from bench.datachecks import static_problem

    clean = config.model_dump(mode="python")
    for found in (
        limits.strict_type_problem(raw, clean),
        limits.config_limit_problem(clean),
        static_problem(clean),
    ):
        if found:
            loc, value, allowed = found
            shown = json.dumps(value, ensure_ascii=False, default=str)
            line_path = line_for(list(loc)) if line_for else loc
            raise context.fail(list(loc), f"{shown} is not allowed — {allowed}", line_path, label)


def _apply_overrides(
    base: RunConfig,
    overrides: dict[str, Any],
    context: _Context,
    where: tuple[PathPart, ...],
    label: str,
) -> RunConfig:
    """Apply ``{key path: value}`` to the base; re-validate the result."""
    resolved = base.model_dump(mode="json")
    parsed: list[tuple[str, list[PathPart]]] = []
    for text, value in overrides.items():
        try:
            parts = parse_path(text)
            set_path(resolved, parts, value)
        except ValueError as exc:
            raise context.fail([text], str(exc), (*where, text), label) from None
        parsed.append((text, parts))

    def line_for(loc: Sequence[PathPart]) -> tuple[PathPart, ...]:
        for text, parts in parsed:  # the override that wrote the bad value
            if len(parts) <= len(loc) and all(
                p == "*" or p == q for p, q in zip(parts, loc)
            ):
                return (*where, text)
        return where

    try:
        config = RunConfig.model_validate(resolved)
    except ValidationError as exc:
        raise context.from_validation(exc, RunConfig, (), line_for, label) from None
    _check_strict(resolved, config, context, line_for, label)
    return config


def _grid_cell_name(assignment: dict[str, Any]) -> str:
    parts = []
    for text, value in assignment.items():
        last = [p for p in parse_path(text) if isinstance(p, str) and p != "*"][-1]
        shown = json.dumps(value) if not isinstance(value, str) else value
        parts.append(f"{last}={shown}".replace(" ", ""))
    return ",".join(parts)


def _expand_grid(
    grid: dict[str, list[Any]],
    base: RunConfig,
    context: _Context,
    seen: dict[str, tuple[PathPart, ...]],
) -> list[Variant]:
    """Each cell of the cartesian product over the grid's key paths is a variant."""
    if not grid:
        return []
    for text, values in grid.items():
        if not values:
            raise context.fail(["grid", text], "needs at least one value")
    cells = limits.grid_cells(list(grid.values()))
    if cells > limits.MAX_GRID_CELLS:
        sizes = " × ".join(str(len(v)) for v in grid.values())
        raise context.fail(
            ["grid"],
            f"{sizes} = {cells:,} cells is not allowed — at most {limits.MAX_GRID_CELLS:,} variants per grid",
        )
    variants = []
    keys = list(grid)
    for combination in itertools.product(*(grid[k] for k in keys)):
        assignment = dict(zip(keys, combination))
        name = _grid_cell_name(assignment)
        found = control_character(name)
        if found:
            raise context.fail(["grid"], f"grid cell {json.dumps(name)} contains {found}; allowed: printable text")
        if name in seen:
            raise context.fail(["grid"], f"grid cell {name!r} has the name of another variant")
        config = _apply_overrides(base, assignment, context, ("grid",), f"grid cell {name!r}: ")
        seen[name] = ("grid",)
        variants.append(Variant(name, config, assignment, None, "grid cell"))
    return variants
