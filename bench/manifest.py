"""The reproducibility manifest: everything another person needs to re-check a number.

A manifest is a plain JSON-able dict, recorded for every run (by the worker,
after training) and for every suite (when ``bench run`` saves its plan):

  project      git commit of the project, whether the tree was dirty, a hash of the diff
  suite        the suite file and its SHA-256 (suite manifests)
  dataset      the prepared data's fingerprint (runs) or a hash of its configuration (suites)
  determinism  op determinism and the environment variables that change numerics
  parallelism  intra-/inter-op threads, worker processes, cores usable
  cpu          model and instruction-set flags (``/proc/cpuinfo``)
  gpus         name and driver of each GPU, where present
  platform     Python and operating system
  packages     every installed distribution and its version (``importlib.metadata``)

Nothing here imports TensorFlow: TensorFlow's own settings (threads, op
determinism, visible GPUs) are read only when the calling process has already
imported it, as a worker has.  Every probe tolerates its source being absent
(no git, no ``/proc``, no GPU): the field then says so instead of failing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

__all__ = [
    "MANIFEST_VERSION",
    "ManifestChange",
    "compare_manifests",
    "cpu_info",
    "file_sha256",
    "git_state",
    "gpu_info",
    "installed_packages",
    "manifest_columns",
    "SUMMARY_FIELDS",
    "manifest_lines",
    "manifest_rows",
    "manifest_summary",
    "run_manifest",
    "suite_manifest",
    "with_parallelism",
]

MANIFEST_VERSION = 1
#: Environment variables that change what TensorFlow computes or how reproducibly.
DETERMINISM_ENV = (
    "PYTHONHASHSEED",
    "TF_DETERMINISTIC_OPS",
    "TF_CUDNN_DETERMINISTIC",
    "TF_ENABLE_ONEDNN_OPTS",
    "CUBLAS_WORKSPACE_CONFIG",
    "TF_XLA_FLAGS",
    "KERAS_BACKEND",
)
THREAD_ENV = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
#: Fields that describe when or where a manifest was written, not what produced a number.
NOT_COMPARED = ("recorded_at", "project.dir", "suite.file")
_GIT_TIMEOUT_S = 60


# -- the probes -------------------------------------------------------------------------------
def _git(folder: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(folder), *args],
        capture_output=True,
        check=True,
        timeout=_GIT_TIMEOUT_S,
    ).stdout


def git_state(folder: str | Path | None = None) -> dict[str, Any]:
    """Commit, dirty flag and a SHA-256 of the uncommitted changes of the repository at ``folder``.

    The diff hash covers ``git diff HEAD`` (tracked files, binary-safe) and the
    names of untracked files, so two dirty trees with the same hash ran the same code.
    Without git, or outside a repository, ``commit`` is None and ``note`` says why.
    """
    folder = Path(folder or os.getcwd()).resolve()
    state: dict[str, Any] = {"dir": str(folder), "commit": None, "dirty": None, "diff_sha256": None}
    if shutil.which("git") is None:
        return {**state, "note": "git is not installed"}
    try:
        state["commit"] = _git(folder, "rev-parse", "HEAD").decode().strip()
        status = _git(folder, "status", "--porcelain", "--untracked-files=all")
        diff = _git(folder, "diff", "HEAD", "--binary")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        return {**state, "commit": None, "note": "not a git repository (or git failed)"}
    untracked = sorted(
        line[3:] for line in status.decode(errors="replace").splitlines() if line.startswith("??")
    )
    state["dirty"] = bool(status.strip())
    if state["dirty"]:
        digest = hashlib.sha256(diff)
        digest.update("\n".join(untracked).encode())
        state["diff_sha256"] = digest.hexdigest()
        state["untracked"] = len(untracked)
    return state


def file_sha256(path: str | Path) -> Optional[str]:
    """SHA-256 of a file's bytes, or None if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def installed_packages() -> dict[str, str]:
    """Every installed distribution as ``{normalized name: version}``, sorted by name."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            found.setdefault(name.lower().replace("_", "-"), dist.version)
    return dict(sorted(found.items()))


def cpu_info(cpuinfo: str | Path = "/proc/cpuinfo") -> dict[str, Any]:
    """CPU model and instruction-set flags (sorted, space-separated), and the core counts."""
    info: dict[str, Any] = {"model": platform.processor() or platform.machine(), "flags": None}
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as handle:
            for line in handle:  # the first processor's entries describe them all
                key, _, value = (part.strip() for part in line.partition(":"))
                if key == "model name" and "model_read" not in info:
                    info["model"], info["model_read"] = value, True
                elif key in ("flags", "Features") and info["flags"] is None:  # x86 / ARM
                    info["flags"] = " ".join(sorted(set(value.split())))
                if info["flags"] is not None and "model_read" in info:
                    break
        info.pop("model_read", None)
    except OSError:
        pass
    info["cores"] = os.cpu_count()
    try:
        info["usable_cores"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        info["usable_cores"] = os.cpu_count()
    return info


def gpu_info() -> list[dict[str, Any]]:
    """Name and driver of each GPU: ``nvidia-smi`` where installed, else the visible
    devices of an already imported TensorFlow, with the driver from ``/proc``."""
    gpus: list[dict[str, Any]] = []
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                capture_output=True, check=True, timeout=_GIT_TIMEOUT_S, text=True,
            ).stdout  # fmt: skip
            for line in out.strip().splitlines():
                parts = [p.strip() for p in line.split(",")]
                if len(parts) >= 2:
                    gpus.append({"name": parts[0], "driver": parts[1],
                                 "memory": parts[2] if len(parts) > 2 else None})  # fmt: skip
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            gpus = []
    if gpus:
        return gpus
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return gpus
    driver = _proc_nvidia_driver()
    try:
        for device in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(device) or {}
            gpus.append({"name": details.get("device_name", device.name), "driver": driver,
                         "compute_capability": details.get("compute_capability")})  # fmt: skip
    except Exception:  # noqa: BLE001 - a broken GPU stack must not lose the run's record
        pass
    return gpus


def _proc_nvidia_driver() -> Optional[str]:
    try:
        first = Path("/proc/driver/nvidia/version").read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return None
    words = first.split()
    for index, word in enumerate(words):  # "... Kernel Module  550.54.14  Thu Feb ..."
        if word == "Module" and index + 1 < len(words):
            return words[index + 1]
    return first.strip()


def _determinism() -> dict[str, Any]:
    settings: dict[str, Any] = {name: os.environ.get(name) for name in DETERMINISM_ENV}
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:  # tf.config.experimental has only the setter; the getter lives beside it
            from tensorflow.python.framework import config as tf_config

            settings["op_determinism"] = bool(tf_config.is_op_determinism_enabled())
        except Exception:  # noqa: BLE001
            pass
        try:
            settings["xla_jit"] = str(tf.config.optimizer.get_jit() or "off")
        except Exception:  # noqa: BLE001
            pass
    return settings


def _parallelism() -> dict[str, Any]:
    threads: dict[str, Any] = {name: os.environ.get(name) for name in THREAD_ENV}
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:
            threads["intra_op_threads"] = tf.config.threading.get_intra_op_parallelism_threads()
            threads["inter_op_threads"] = tf.config.threading.get_inter_op_parallelism_threads()
        except Exception:  # noqa: BLE001
            pass
    threads.setdefault("workers", 1)
    return threads


def _platform() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": platform.platform(),
        "machine": platform.machine(),
    }


def _guarded(probe: Any, *args: Any) -> Any:
    """A probe's answer, or what went wrong: a manifest is never worth losing a run for."""
    try:
        return probe(*args)
    except Exception as exc:  # noqa: BLE001
        return {"note": f"could not be read: {type(exc).__name__}: {exc}"}


# -- the two manifests --------------------------------------------------------------------------
def run_manifest(dataset: Optional[Mapping[str, Any]] = None, project_dir: str | Path | None = None) -> dict[str, Any]:
    """The manifest of one run, taken in the process that trained it (after training).

    ``dataset`` is the run's dataset record (its ``fingerprint`` identifies the
    prepared splits); ``project_dir`` defaults to the working directory.
    """
    dataset = dataset or {}
    return {
        "manifest_version": MANIFEST_VERSION,
        "recorded_at": time.time(),
        "project": _guarded(git_state, project_dir),
        "dataset": {"name": dataset.get("name"), "fingerprint": dataset.get("fingerprint")},
        "determinism": _guarded(_determinism),
        "parallelism": _guarded(_parallelism),
        "cpu": _guarded(cpu_info),
        "gpus": _guarded(gpu_info),
        "platform": _guarded(_platform),
        "packages": _guarded(installed_packages),
    }


def with_parallelism(manifest: dict[str, Any], **counts: Any) -> dict[str, Any]:
    """The manifest with the executor's counts (``threads``, ``workers``) added."""
    parallelism = dict(manifest.get("parallelism") or {})
    parallelism.update(counts)
    return {**manifest, "parallelism": parallelism}


def suite_manifest(suite_file: str | Path, dataset_config: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """The manifest of a suite as ``bench run`` starts it (in the driver: no TensorFlow).

    The project is the git repository holding the suite file; the dataset is
    identified by a hash of the baseline's dataset configuration (each run's
    manifest holds the prepared data's own fingerprint).
    """
    suite_file = Path(suite_file)
    config_text = json.dumps(dict(dataset_config or {}), sort_keys=True, default=str)
    return {
        "manifest_version": MANIFEST_VERSION,
        "recorded_at": time.time(),
        "project": _guarded(git_state, suite_file.resolve().parent if suite_file.exists() else None),
        "suite": {"file": str(suite_file), "sha256": file_sha256(suite_file)},
        "dataset": {
            "name": (dataset_config or {}).get("name"),
            "config_sha256": hashlib.sha256(config_text.encode()).hexdigest(),
        },
        "determinism": _guarded(_determinism),
        "parallelism": _guarded(_parallelism),
        "cpu": _guarded(cpu_info),
        "gpus": _guarded(gpu_info),
        "platform": _guarded(_platform),
        "packages": _guarded(installed_packages),
    }


# -- reading manifests --------------------------------------------------------------------------
def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        return {prefix: json.dumps(value, sort_keys=True, default=str)}
    return {prefix: value}


@dataclass(frozen=True)
class ManifestChange:
    """One manifest field that differs between a stored run and its re-run."""

    field: str
    before: Any
    after: Any


def compare_manifests(
    before: Optional[Mapping[str, Any]], after: Optional[Mapping[str, Any]]
) -> list[ManifestChange]:
    """Fields that differ (threads, package versions, CPU, ...), timestamps and paths left out.

    CPU flags are compared as sets: the change lists the flags added and removed.
    """
    old, new = _leaves(before or {}), _leaves(after or {})
    changes = []
    for name in sorted(set(old) | set(new)):
        if name in NOT_COMPARED or name.endswith(".note"):
            continue
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        if name == "cpu.flags" and isinstance(a, str) and isinstance(b, str):
            gone, added = set(a.split()) - set(b.split()), set(b.split()) - set(a.split())
            a = " ".join(sorted(gone)) or None
            b = " ".join(sorted(added)) or None
        changes.append(ManifestChange(name, a, b))
    return changes


#: The fields of :func:`manifest_summary`, in the order they are shown; each one's label is the
#: catalog word ``manifest.<field>``.
SUMMARY_FIELDS = ("commit", "suite_sha256", "dataset", "packages", "python", "cpu", "gpus",
                  "threads_workers", "op_determinism")  # fmt: skip


def manifest_summary(manifest: Optional[Mapping[str, Any]], lang: str = "en") -> dict[str, str]:
    """A few lines that identify a manifest, for ``bench show`` and the report appendix.

    Keys are the fields of :data:`SUMMARY_FIELDS` (each labelled by the catalog word ``manifest.<field>``);
    values are short texts in ``lang`` (hashes cut to 12 characters), every word from the
    catalogs, so a Russian report says no English.
    """
    from bench.words import t

    if not manifest:
        return {}
    out: dict[str, str] = {}
    project = manifest.get("project") or {}
    if project.get("commit"):
        text = str(project["commit"])[:12]
        if project.get("dirty"):
            text += t("manifest.uncommitted", lang, diff=str(project.get("diff_sha256"))[:12])
        out["commit"] = text
    elif project:
        out["commit"] = str(project.get("note") or t("manifest.unknown", lang))
    suite = manifest.get("suite") or {}
    if suite.get("sha256"):
        out["suite_sha256"] = str(suite["sha256"])[:12]
    dataset = manifest.get("dataset") or {}
    if dataset.get("fingerprint") or dataset.get("config_sha256"):
        out["dataset"] = f"{dataset.get('name') or '?'} {str(dataset.get('fingerprint') or dataset.get('config_sha256'))[:12]}"
    packages = manifest.get("packages") or {}
    if isinstance(packages, Mapping) and packages:
        main = [f"{name} {packages[name]}" for name in ("tensorflow", "keras", "numpy", "bench") if name in packages]
        out["packages"] = t("manifest.installed", lang, n=len(packages)) + (f" ({', '.join(main)})" if main else "")
    platform_info = manifest.get("platform") or {}
    if platform_info.get("python"):
        out["python"] = t("manifest.python_on", lang, python=platform_info["python"],
                          system=platform_info.get("system", "?"))  # fmt: skip
    cpu = manifest.get("cpu") or {}
    if cpu.get("model"):
        flags = len(str(cpu.get("flags") or "").split())
        out["cpu"] = t("manifest.cpu_text", lang, model=cpu["model"],
                       cores=cpu.get("usable_cores") or cpu.get("cores") or "?", flags=flags)  # fmt: skip
    gpus = manifest.get("gpus")
    if isinstance(gpus, list):
        out["gpus"] = ", ".join(
            f"{g.get('name')}" + (t("manifest.driver", lang, driver=g["driver"]) if g.get("driver") else "")
            for g in gpus
        ) or t("manifest.none", lang)
    parallelism = manifest.get("parallelism") or {}
    threads = parallelism.get("threads") or parallelism.get("intra_op_threads") or parallelism.get("TF_NUM_INTRAOP_THREADS")
    if threads or parallelism.get("workers"):
        out["threads_workers"] = f"{threads or t('manifest.default', lang)} × {parallelism.get('workers', 1)}"
    determinism = manifest.get("determinism") or {}
    if "op_determinism" in determinism:
        out["op_determinism"] = t("manifest.on" if determinism["op_determinism"] else "manifest.off", lang)
    return out


def manifest_rows(manifest: Optional[Mapping[str, Any]], lang: str = "en") -> list[tuple[str, str]]:
    """(label, text) pairs of :func:`manifest_summary`, labels in ``lang``: the report's appendix."""
    from bench.words import t

    return [(t(f"manifest.{name}", lang), text) for name, text in manifest_summary(manifest, lang).items()]


def manifest_columns(manifest: Optional[Mapping[str, Any]], prefix: str = "manifest") -> dict[str, Any]:
    """A manifest as flat ``manifest.*`` columns for ``bench export --config``.

    Packages stay one JSON column (hundreds of them would drown the table).
    """
    if not manifest:
        return {}
    flat = {k: v for k, v in manifest.items() if k != "packages"}
    columns = {f"{prefix}.{k}": v for k, v in _leaves(flat).items()}
    if "packages" in manifest:
        columns[f"{prefix}.packages"] = json.dumps(manifest["packages"], sort_keys=True)
    return columns


def manifest_lines(manifests: Iterable[Optional[Mapping[str, Any]]], lang: str = "en") -> list[str]:
    """``field: value`` lines summarizing several runs' manifests (a field that differs
    between runs lists each value once, joined by ``|``); empty when none was recorded.
    Labels and words in ``lang``."""
    from bench.words import t

    summaries = [manifest_summary(m, lang) for m in manifests if m]
    if not summaries:
        return []
    fields: list[str] = []
    for summary in summaries:
        fields += [name for name in summary if name not in fields]
    lines = []
    for name in fields:
        values = list(dict.fromkeys(s.get(name, "—") for s in summaries))
        label = t(f"manifest.{name}", lang)
        lines.append(f"{label}: {' | '.join(values)}")
    return lines
