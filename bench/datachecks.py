"""Dataset and builder problems found before anything trains, each as one line.

Two kinds of check.  *Static* ones need no files (``classes: 50`` on a
10-class dataset) and run while a suite is validated, so they name the file
and line.  *Place* ones look at the disk (``data_dir`` missing, unreadable,
without the expected files; an image folder with fewer than two classes) and
run when ``bench run`` starts, before a worker imports TensorFlow: a report
of a suite whose data is elsewhere still renders.

A ``family: python`` builder is checked without importing it: its module is
found with :func:`importlib.util.find_spec` (parent packages are looked up, not
imported) and its source parsed with :mod:`ast` for the function's name.
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

from bench.errors import BenchError

__all__ = [
    "CLASS_COUNTS",
    "check_builder",
    "check_data",
    "data_problem",
    "static_problem",
]

#: Classes of the datasets whose size is known without reading them.
CLASS_COUNTS: dict[str, int] = {
    "digits": 10, "mnist5k": 10, "mnist": 10, "fashion_mnist": 10, "cifar10": 10, "cifar100": 100,
}  # fmt: skip
CIFAR100_COARSE = 20

_IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})


# -- static -------------------------------------------------------------------------------
def static_problem(config: dict[str, Any]) -> Optional[tuple[tuple[Any, ...], Any, str]]:
    """``dataset.classes`` beyond what a dataset of known size has: (path, value, allowed)."""
    dataset = config.get("dataset") or {}
    name, classes = dataset.get("name"), dataset.get("classes")
    if classes is None or name not in CLASS_COUNTS:
        return None
    available = CIFAR100_COARSE if name == "cifar100" and dataset.get("labels") == "coarse" else CLASS_COUNTS[name]
    if classes > available:
        return ("dataset", "classes"), classes, f"dataset {name!r} has {available} classes"
    return None


# -- on disk --------------------------------------------------------------------------------
def check_data(configs: Iterable[Any], source: str | Path) -> None:
    """Raise one BenchError line for the first dataset of ``configs`` that cannot be read."""
    seen: set[str] = set()
    for config in configs:
        dataset = config.dataset
        marker = dataset.model_dump_json()
        if marker in seen:
            continue
        seen.add(marker)
        problem = data_problem(dataset)
        if problem:
            raise BenchError(f"{source}: {problem}; nothing was trained")


def data_problem(dataset: Any) -> Optional[str]:
    """What keeps ``dataset`` (a DatasetConfig) from loading, found without reading its images."""
    name = dataset.name
    data_dir = Path(os.path.expanduser(dataset.data_dir)) if dataset.data_dir else None
    if data_dir is not None:
        if not data_dir.exists():
            return f"dataset.data_dir: {data_dir} does not exist"
        if not data_dir.is_dir():
            return f"dataset.data_dir: {data_dir} is a file, not a folder"
        if not os.access(data_dir, os.R_OK | os.X_OK):
            return f"dataset.data_dir: {data_dir} cannot be read (permission denied)"
    if name == "folder":
        return _folder_problem(data_dir, dataset.classes)
    if getattr(dataset, "is_detection", False):
        from bench.datasets.detection_splits import annotation_problem

        return annotation_problem(dataset)
    from bench.datasets.keras_files import LAYOUTS  # the datasets say where their files lie

    if name in LAYOUTS:
        return _file_dataset_problem(name, data_dir)
    return None


def _folder_problem(root: Optional[Path], classes: Optional[int]) -> Optional[str]:
    if root is None:
        return (
            "dataset 'folder': dataset.data_dir is not set; point it at a folder with one "
            "sub-folder of images per class"
        )
    train = root / "train"
    base = train if train.is_dir() and _sub_folders(train) else root
    found = []
    for folder in _sub_folders(base):
        if not os.access(folder, os.R_OK | os.X_OK):
            return f"dataset 'folder': {folder} cannot be read (permission denied)"
        if _has_image(folder):
            found.append(folder.name)
    if len(found) < 2:
        return (
            f"dataset 'folder': {base} holds {len(found)} class folder(s) with images "
            f"({', '.join(sorted(_IMAGE_SUFFIXES))}); need at least 2, one sub-folder of images per class"
        )
    if classes is not None and classes > len(found):
        return f"dataset.classes: {classes} is not allowed — {base} has {len(found)} class folders"
    return None


def _sub_folders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def _has_image(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(
                e.is_file() and not e.name.startswith(".") and Path(e.name).suffix.lower() in _IMAGE_SUFFIXES
                for e in entries
            )
    except OSError:
        return False


def _file_dataset_problem(name: str, data_dir: Optional[Path]) -> Optional[str]:
    from bench.datasets.keras_files import LAYOUTS, search_dirs

    layout = LAYOUTS[name]
    sub_folders, files, archives, described = layout.folders, layout.files, layout.archives, layout.described
    dirs = [Path(d) for d in search_dirs(str(data_dir) if data_dir else None)]
    for base in dirs:
        for sub in sub_folders:
            folder = base / sub if sub else base
            present = [folder / f for f in files if (folder / f).is_file()]
            if len(present) == len(files):
                unreadable = [p for p in present if not os.access(p, os.R_OK)]
                if unreadable:
                    return f"dataset {name!r}: {unreadable[0]} cannot be read (permission denied)"
                return None
        for archive in archives:
            path = base / archive
            if path.is_file():
                if not os.access(path, os.R_OK):
                    return f"dataset {name!r}: {path} cannot be read (permission denied)"
                return None
    where = " or ".join(str(d) for d in dirs)
    return (
        f"dataset {name!r}: no {described} in {where}; put it there "
        "or set dataset.data_dir to the folder holding it (nothing is downloaded)"
    )


# -- family: python -------------------------------------------------------------------------
def check_builder(spec: str) -> None:
    """``module:function`` must name an existing module defining ``function``; nothing is imported.

    Raises:
        ValueError: the module is not on the Python path, does not parse, or does not
            define the function.
    """
    module_name, _, function_name = spec.partition(":")
    found = _find_module(module_name)
    if found is None:
        raise ValueError(
            f"cannot import module {module_name!r} for builder {spec!r}: no such module on the "
            "Python path; make it importable (install it or add its folder to PYTHONPATH)"
        )
    origin = found.origin if found.has_location else None
    if not origin or not origin.endswith(".py"):
        return  # compiled or namespace module: its names show when the worker imports it
    try:
        stat = os.stat(origin)
    except OSError as exc:
        raise ValueError(f"cannot read module {module_name!r} ({origin}): {exc.strerror}") from None
    names = _top_level_names(origin, stat.st_mtime_ns, stat.st_size)
    if isinstance(names, str):
        raise ValueError(f"module {module_name!r} ({origin}): {names}")
    if names is not None and function_name not in names:
        raise ValueError(f"module {module_name!r} has no function {function_name!r}")


def _find_module(name: str) -> Optional[importlib.machinery.ModuleSpec]:
    """The module's spec, found the way ``import`` would, without running any package code."""
    if name in sys.modules:
        return getattr(sys.modules[name], "__spec__", None) or importlib.machinery.ModuleSpec(name, None)
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level name: nothing is imported
    except (ImportError, ValueError):
        return None
    for depth in range(1, len(parts)):
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = importlib.machinery.PathFinder.find_spec(
            ".".join(parts[: depth + 1]), list(spec.submodule_search_locations)
        )
    return spec


@functools.lru_cache(maxsize=64)
def _top_level_names(origin: str, mtime_ns: int, size: int) -> "set[str] | str | None":
    """Names a module defines at its top level; None when it cannot be told statically."""
    try:
        with open(origin, "rb") as stream:
            tree = ast.parse(stream.read(), filename=origin)
    except SyntaxError as exc:
        return f"syntax error at line {exc.lineno}: {exc.msg}"
    except (OSError, ValueError) as exc:
        return f"cannot read it ({exc})"
    names: set[str] = set()
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == "__getattr__":
                return None  # names made on demand
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None  # star import: cannot tell
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                statements.extend(getattr(node, field, []) or [])
        elif isinstance(node, ast.ExceptHandler):
            statements.extend(node.body)
    return names
