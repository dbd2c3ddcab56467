"""The results store: the one place that reads and writes results (SQLite).

One file per suite by default (:func:`bench.layout.default_store_path`), WAL mode,
one transaction per finished run, so a kill at any moment loses at most the
run in flight and never corrupts what is there.  The file carries a schema
version; a newer file than this code understands is refused with a message
that says what to do, older ones are migrated by named functions.

Tables:
  meta(name, value)                 schema version
  suites(name, title, definition)   the parsed suite as JSON, for reports
  plan(suite, variant, seed, key)   which run key belongs to which variant
  runs(key, ...)                    one row per finished run (ok/failed/diverged/budget)
  metrics(run_key, name, value)     scalar measurements
  history(run_key, epoch, name, value)  per-epoch learning curves
  predictions(run_key, name, array) test-set labels and predictions (npy bytes)
  claims(key, owner, token, ...)    runs being trained right now, by whom (schema 2)
  run_manifests(run_key, manifest)  each run's reproducibility manifest as JSON (schema 3)
  suite_manifests(suite, manifest)  the manifest of the suite's last ``bench run`` (schema 3)

Runs are keyed by a hash of their resolved configuration and seed, not by
variant name: two variants with the same configuration share runs, and
renaming a variant retrains nothing.  ``plan`` maps names to keys.

Claims keep two ``bench run`` processes on one store from training the same
key: a run is claimed (atomically, in a ``BEGIN IMMEDIATE`` transaction) before
it is handed to a worker, the claim's heartbeat is refreshed while it trains,
and recording the result drops the claim in the same transaction.  A claim
whose owner died (a dead pid on this host) or whose heartbeat is older than
``CLAIM_TIMEOUT_S`` is stale and may be taken over, so a killed ``bench run``
never blocks the next one.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np
import pandas as pd

from bench import layout, status
from bench.errors import BenchError, StoreDamageWarning, StoreWriteError
from bench.status import Status

SCHEMA_VERSION = 3
CLAIM_TIMEOUT_S = 300.0  # a claim not refreshed for this long is stale (heartbeats: every 20 s)
#: Outcomes never trained again; failed runs are retried on the next ``bench run``.
FINAL_STATUSES: tuple[str, ...] = tuple(
    s.value for s in Status if s not in (Status.FAILED, Status.DAMAGED)
)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
#: The status :meth:`ResultStore.runs_frame` gives a planned run not trained yet.
MISSING = status.MISSING
#: Read side only: a run whose stored row cannot be read as it should.
DAMAGED = Status.DAMAGED.value
_READ_TABLES = ("meta", "suites", "plan", "runs", "metrics", "history", "predictions")
SNAPSHOT_LIMIT = 1 << 30  # stores up to 1 GiB are read from one consistent copy in memory
_JSON_COLUMNS = ("config", "versions", "hardware", "dataset")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS suites (
    name TEXT PRIMARY KEY, title TEXT, source TEXT, definition TEXT NOT NULL, updated_at REAL
);
CREATE TABLE IF NOT EXISTS plan (
    suite TEXT NOT NULL, variant TEXT NOT NULL, seed INTEGER NOT NULL, key TEXT NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (suite, variant, seed)
);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY, suite TEXT, variant TEXT, seed INTEGER, config TEXT NOT NULL,
    status TEXT NOT NULL, error TEXT, started_at REAL, finished_at REAL,
    host TEXT, versions TEXT, hardware TEXT, dataset TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    run_key TEXT NOT NULL REFERENCES runs(key) ON DELETE CASCADE,
    name TEXT NOT NULL, value REAL, PRIMARY KEY (run_key, name)
);
CREATE TABLE IF NOT EXISTS history (
    run_key TEXT NOT NULL REFERENCES runs(key) ON DELETE CASCADE,
    epoch INTEGER NOT NULL, name TEXT NOT NULL, value REAL,
    PRIMARY KEY (run_key, epoch, name)
);
CREATE TABLE IF NOT EXISTS predictions (
    run_key TEXT NOT NULL REFERENCES runs(key) ON DELETE CASCADE,
    name TEXT NOT NULL, array BLOB NOT NULL, PRIMARY KEY (run_key, name)
);
"""
_CLAIMS = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY, owner TEXT NOT NULL, token TEXT NOT NULL,
    claimed_at REAL NOT NULL, heartbeat REAL NOT NULL
)
"""
_SCHEMA += _CLAIMS + ";"
_MANIFESTS = """
CREATE TABLE IF NOT EXISTS run_manifests (
    run_key TEXT PRIMARY KEY REFERENCES runs(key) ON DELETE CASCADE, manifest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS suite_manifests (
    suite TEXT PRIMARY KEY, manifest TEXT NOT NULL, recorded_at REAL
)
"""
_SCHEMA += _MANIFESTS + ";"


@dataclass
class RunResult:
    """Everything one run produced; the worker fills it, the store saves it."""

    key: str
    suite: str
    variant: str
    seed: int
    config: dict[str, Any]
    status: Status = Status.OK
    error: Optional[str] = None
    metrics: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0
    host: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    hardware: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)  # see bench.manifest


#: Per-run arrays named so hold a few examples (the test images a report draws), not one
#: row per test item: they are exempt from the rule that a run's arrays share one length.
SAMPLE_PREFIX = "sample_"


def _per_item(name: str) -> bool:
    return not name.startswith(SAMPLE_PREFIX)


def _to_blob(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _from_blob(blob: bytes) -> np.ndarray:
    return np.load(io.BytesIO(blob), allow_pickle=False)


def migrate_v1_to_v2(db: sqlite3.Connection) -> None:
    """Schema 2 adds ``claims``: which runs a ``bench run`` is training right now."""
    db.execute(_CLAIMS)


def migrate_v2_to_v3(db: sqlite3.Connection) -> None:
    """Schema 3 adds the reproducibility manifests of runs and suites (empty for old runs)."""
    for statement in filter(str.strip, _MANIFESTS.split(";")):
        db.execute(statement)


MIGRATIONS: dict[int, Any] = {1: migrate_v1_to_v2, 2: migrate_v2_to_v3}  # from-version → function(connection)


@dataclass(frozen=True)
class Claimant:
    """Who claims runs: ``pid@host`` for people and liveness checks, a token for identity.

    The token tells apart two ``bench run`` calls in one process (threads, a
    notebook) and survives pid reuse.
    """

    pid: int
    host: str
    token: str

    @classmethod
    def this_process(cls) -> "Claimant":
        return cls(os.getpid(), socket.gethostname(), uuid.uuid4().hex)

    @property
    def owner(self) -> str:
        return f"{self.pid}@{self.host}"


@dataclass(frozen=True)
class ClaimOutcome:
    """What :meth:`ResultStore.claim` found: claimed, finished already, or held by ``holder``."""

    claimed: bool
    finished: bool = False
    holder: Optional[str] = None
    took_over: Optional[str] = None  # the stale owner replaced, if any


def _owner_alive(owner: str, heartbeat: float, now: float, timeout: float) -> bool:
    """A claim is live while its heartbeat is fresh and, on this host, its pid exists."""
    if now - heartbeat > timeout:
        return False
    pid_text, _, host = owner.partition("@")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another machine: only the heartbeat can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


class ResultStore:
    """A SQLite results file.  Cheap to open; safe for several processes.

    ``ResultStore(path)`` opens for writing (``bench run``): it creates the file,
    switches it to WAL and migrates an older schema.  ``create=False`` opens an
    existing store *for reading only* (every other verb): the file's bytes, its
    journal mode and its schema version are never touched, an older schema is
    read as it is, a store on a read-only mount is readable, and no ``-wal`` or
    ``-shm`` file is left beside it.  ``readonly`` overrides that default.
    """

    def __init__(
        self, path: str | Path, create: bool = True, *, readonly: Optional[bool] = None
    ) -> None:
        self.path = Path(path)
        self.readonly = (not create) if readonly is None else readonly
        self.schema_version = SCHEMA_VERSION
        self._reported: set[str] = set()
        _check_store_path(self.path, create=create and not self.readonly, write=not self.readonly)
        try:
            if self.readonly:
                self._db = _connect_for_reading(self.path)
                self._check_schema()
            else:
                self._db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            if getattr(self, "_db", None) is not None:
                self._db.close()
            raise store_error(self.path, exc) from None

    # -- schema -------------------------------------------------------------
    def _tables(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def _schema_version(self) -> int:
        """The file's schema version; one line naming ``meta`` when it is missing or not a number."""
        value = self._meta("schema_version")
        if value is None:
            raise BenchError(f"{self.path}: damaged store: table meta has no schema_version")
        text = str(value).strip()
        if not text.isdigit():
            raise BenchError(
                f"{self.path}: damaged store: table meta: schema_version {value!r} is not a number"
            )
        version = int(text)
        if version > SCHEMA_VERSION:
            raise BenchError(
                f"{self.path}: results store schema {version} is newer than this bench "
                f"understands ({SCHEMA_VERSION}); upgrade bench (pip install -U bench)"
            )
        if version < 1:
            raise BenchError(f"{self.path}: damaged store: table meta: schema_version {version} is not 1 or more")
        return version

    def _check_schema(self) -> None:
        """Reading: the file must be a bench store of a known version; nothing is changed."""
        tables = self._tables()
        if "meta" not in tables:
            if not tables:
                raise BenchError(f"{self.path}: an empty SQLite file, not a bench results store")
            raise BenchError(f"{self.path}: an SQLite file, but not a bench results store")
        self.schema_version = self._schema_version()
        missing = [t for t in _READ_TABLES if t not in tables]
        if missing:
            raise BenchError(
                f"{self.path}: damaged store: table {missing[0]} is missing "
                f"(schema {self.schema_version} has {', '.join(_READ_TABLES)})"
            )

    def _ensure_schema(self) -> None:
        tables = self._tables()
        if "meta" not in tables:
            if tables - {"meta"}:
                raise BenchError(f"{self.path}: an SQLite file, but not a bench results store")
            with self._transaction():
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)  # executescript would commit early
                self._db.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            return
        version = self._schema_version()
        while version < SCHEMA_VERSION:
            with self._transaction():
                MIGRATIONS[version](self._db)
                version += 1
                self._db.execute(
                    "UPDATE meta SET value=? WHERE name='schema_version'", (str(version),)
                )

    def _meta(self, name: str) -> Optional[str]:
        row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def save_design(self, suite: str, design: dict[str, Any]) -> None:
        """Record the group-sequential design seeds of ``suite`` were added by (replaces any)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                (f"design:{suite}", json.dumps(design, sort_keys=True, default=str)),
            )

    def design(self, suite: str) -> Optional[dict[str, Any]]:
        """The design :meth:`save_design` recorded for ``suite``, or None (a fixed design)."""
        text = self._meta(f"design:{suite}")
        return json.loads(text) if text else None

    def _transaction(self) -> "_Transaction":
        if self.readonly:
            raise BenchError(f"{self.path}: opened for reading only; nothing can be written to it")
        return _Transaction(self._db, self.path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------
    def save_suite(
        self,
        name: str,
        title: str,
        source: str,
        definition: dict[str, Any],
        plan: Iterable[tuple[str, int, str]],
        manifest: Optional[dict[str, Any]] = None,
    ) -> None:
        """Record the suite, which key each (variant, seed) runs under, and its manifest."""
        with self._transaction():
            if manifest is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO suite_manifests VALUES (?, ?, ?)",
                    (name, json.dumps(manifest, sort_keys=True, default=str), time.time()),
                )
            self._db.execute(
                "INSERT OR REPLACE INTO suites VALUES (?, ?, ?, ?, ?)",
                (name, title, source, json.dumps(definition), time.time()),
            )
            self._db.execute("DELETE FROM plan WHERE suite=?", (name,))
            self._db.executemany(
                "INSERT INTO plan VALUES (?, ?, ?, ?, ?)",
                [(name, v, s, k, i) for i, (v, s, k) in enumerate(plan)],
            )

    def record(self, result: RunResult) -> None:
        """Save one finished run in one transaction (replacing an earlier try), dropping its claim."""
        if result.status not in STATUSES:
            raise ValueError(f"unknown run status {result.status!r}; allowed: {', '.join(STATUSES)}")
        with self._transaction():
            self._db.execute("DELETE FROM claims WHERE key=?", (result.key,))  # trained: unclaim
            self._db.execute("DELETE FROM runs WHERE key=?", (result.key,))
            self._db.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    result.key,
                    result.suite,
                    result.variant,
                    result.seed,
                    json.dumps(result.config, sort_keys=True),
                    str(result.status),
                    result.error,
                    result.started_at,
                    result.finished_at,
                    result.host,
                    json.dumps(result.versions),
                    json.dumps(result.hardware),
                    json.dumps(result.dataset),
                ),
            )
            self._db.executemany(
                "INSERT INTO metrics VALUES (?,?,?)",
                [(result.key, k, _finite_or_none(v)) for k, v in result.metrics.items()],
            )
            self._db.executemany(
                "INSERT INTO history VALUES (?,?,?,?)",
                [
                    (result.key, epoch, name, _finite_or_none(value))
                    for name, values in result.history.items()
                    for epoch, value in enumerate(values, start=1)
                ],
            )
            self._db.executemany(
                "INSERT INTO predictions VALUES (?,?,?)",
                [(result.key, k, _to_blob(v)) for k, v in result.predictions.items()],
            )
            if result.manifest:
                self._db.execute(
                    "INSERT INTO run_manifests VALUES (?,?)",
                    (result.key, json.dumps(result.manifest, sort_keys=True, default=str)),
                )

    # -- claims ---------------------------------------------------------------
    def claim(
        self, key: str, claimant: Claimant, *, timeout: float = CLAIM_TIMEOUT_S
    ) -> ClaimOutcome:
        """Claim ``key`` for training, atomically; refused if finished or held by a live owner."""
        now = time.time()
        with self._transaction():
            row = self._db.execute("SELECT status FROM runs WHERE key=?", (key,)).fetchone()
            if row is not None and row[0] in FINAL_STATUSES:
                return ClaimOutcome(False, finished=True)
            held = self._db.execute(
                "SELECT owner, token, heartbeat FROM claims WHERE key=?", (key,)
            ).fetchone()
            took_over = None
            if held is not None and held[1] != claimant.token:
                if _owner_alive(held[0], held[2], now, timeout):
                    return ClaimOutcome(False, holder=held[0])
                took_over = held[0]
            self._db.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                (key, claimant.owner, claimant.token, now, now),
            )
        return ClaimOutcome(True, took_over=took_over)

    def heartbeat(self, claimant: Claimant) -> int:
        """Refresh the claimant's claims (they are alive); returns how many it holds."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE claims SET heartbeat=? WHERE token=?", (time.time(), claimant.token)
            )
            return cursor.rowcount

    def release(self, claimant: Claimant, keys: Optional[Iterable[str]] = None) -> None:
        """Drop the claimant's claims (all, or those on ``keys``): the runs were not trained."""
        with self._transaction():
            if keys is None:
                self._db.execute("DELETE FROM claims WHERE token=?", (claimant.token,))
            else:
                self._db.executemany(
                    "DELETE FROM claims WHERE key=? AND token=?",
                    [(key, claimant.token) for key in keys],
                )

    def claims(self) -> list[dict[str, Any]]:
        """Current claims (key, owner, token, claimed_at, heartbeat), oldest first."""
        rows = self._db.execute(
            "SELECT key, owner, token, claimed_at, heartbeat FROM claims ORDER BY claimed_at"
        )
        names = ("key", "owner", "token", "claimed_at", "heartbeat")
        return [dict(zip(names, row)) for row in rows]

    def delete_runs(self, keys: Iterable[str]) -> int:
        """Forget runs (for ``--fresh``); returns how many were removed."""
        keys = list(keys)
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany("DELETE FROM runs WHERE key=?", [(k,) for k in keys])
            return self._db.total_changes - before

    # -- reading ----------------------------------------------------------------
    def finished_before(self, keys: Iterable[str], instant: float) -> set[str]:
        """Those of ``keys`` whose stored run finished before ``instant`` (``time.time()``)."""
        wanted = set(keys)
        rows = self._db.execute("SELECT key FROM runs WHERE finished_at IS NULL OR finished_at < ?", (instant,))
        return {key for (key,) in rows if key in wanted}

    def finished_keys(self) -> set[str]:
        """Keys that are never trained again (ok, diverged, stopped by a budget)."""
        placeholders = ",".join("?" * len(FINAL_STATUSES))
        rows = self._db.execute(
            f"SELECT key FROM runs WHERE status IN ({placeholders})", FINAL_STATUSES
        )
        return {r[0] for r in rows}

    def suite_names(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM suites ORDER BY name")]

    def suite_definition(self, name: Optional[str] = None) -> dict[str, Any]:
        """The suite as saved by the last ``bench run`` (the only one if ``name`` is None)."""
        names = self.suite_names()
        if not names:
            raise BenchError(f"{self.path}: the store holds no suite yet; run `bench run SUITE`")
        if name is None:
            if len(names) > 1:
                raise BenchError(
                    f"{self.path}: holds several suites ({', '.join(names)}); name one"
                )
            name = names[0]
        row = self._db.execute(
            "SELECT definition, title, source FROM suites WHERE name=?", (name,)
        ).fetchone()
        if row is None:
            raise BenchError(
                f"{self.path}: no suite {name!r}; it holds: {', '.join(names)}"
            )
        definition = _checked_definition(self.path, name, row[0])
        definition.setdefault("title", row[1])
        definition.setdefault("source", row[2])
        return definition

    def runs_frame(self, suite: Optional[str] = None, planned_only: bool = True) -> pd.DataFrame:
        """One row per planned run with its status and one column per metric.

        Planned runs not trained yet have status ``missing``.  With
        ``planned_only=False`` every stored run is listed by its own variant.
        A run whose stored row is damaged (malformed JSON, a metric stored as text,
        predictions of the wrong type or length, an unknown status) has status
        ``damaged``, the reason as its ``error`` and no metrics; a
        :class:`StoreDamageWarning` says so in one line.
        """
        if planned_only:
            query = (
                "SELECT p.suite, p.variant, p.seed, p.key, p.position, "
                f"COALESCE(r.status, '{MISSING}') AS status, r.error, r.started_at, "
                "r.finished_at, r.host, r.config, r.versions, r.hardware, r.dataset "
                "FROM plan p LEFT JOIN runs r ON r.key = p.key"
                + (" WHERE p.suite = ?" if suite else "")
                + " ORDER BY p.position"
            )
        else:
            query = (
                "SELECT suite, variant, seed, key, rowid AS position, status, error, "
                "started_at, finished_at, host, config, versions, hardware, dataset FROM runs"
                + (" WHERE suite = ?" if suite else "")
                + " ORDER BY rowid"
            )
        frame = pd.read_sql_query(query, self._db, params=(suite,) if suite else None)
        damage = self._damaged_runs(frame)
        metrics = pd.read_sql_query(
            "SELECT run_key, name, value FROM metrics "
            "WHERE typeof(value) IN ('real', 'integer', 'null')",
            self._db,
        )
        metrics = metrics[~metrics["run_key"].isin(damage)]
        if not metrics.empty:
            metrics["value"] = metrics["value"].astype(float)
            wide = metrics.pivot_table(
                index="run_key", columns="name", values="value", aggfunc="first", dropna=False
            )
            frame = frame.merge(wide, how="left", left_on="key", right_index=True)
        if damage:
            hit = frame["key"].isin(damage)
            frame.loc[hit, "status"] = DAMAGED
            frame.loc[hit, "error"] = frame.loc[hit, "key"].map(damage)
        for column in ("seed", "started_at", "finished_at"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        return frame.drop(columns="position").reset_index(drop=True)

    def damaged_runs(self) -> dict[str, str]:
        """Every stored run whose row cannot be read as it should: key → one-line reason."""
        frame = pd.read_sql_query(
            "SELECT key, status, seed, config, versions, hardware, dataset FROM runs", self._db
        )
        return self._damaged_runs(frame)

    def _damaged_runs(self, frame: pd.DataFrame) -> dict[str, str]:
        """Check the runs in ``frame`` (and their metrics and predictions); warn once for each."""
        keys = {k for k, status in zip(frame["key"], frame["status"]) if status != "missing"}
        damage: dict[str, str] = {}

        def note(table: str, key: str, problem: str) -> None:
            if key in keys and key not in damage:
                damage[key] = f"table {table}, run {key}: {problem}"

        for row in frame.to_dict("records"):
            key = row["key"]
            if row["status"] == "missing":
                continue
            if row["status"] not in STATUSES:
                note("runs", key, f"status {row['status']!r} is not one of {', '.join(STATUSES)}")
            seed = row.get("seed")
            if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
                if not (isinstance(seed, float) and seed.is_integer()):
                    note("runs", key, f"seed {seed!r} is not a whole number")
            for column in _JSON_COLUMNS:
                text = row.get(column)
                if text is None or (isinstance(text, float) and np.isnan(text)):
                    continue
                try:
                    value = json.loads(text) if isinstance(text, (str, bytes)) else None
                except ValueError as exc:
                    note("runs", key, f"{column} is not valid JSON ({exc.msg} at character {exc.pos})")
                    continue
                if not isinstance(value, dict):
                    note("runs", key, f"{column} is not a JSON object")
        if keys:
            for key, name, kind, value in self._db.execute(
                "SELECT run_key, name, typeof(value), value FROM metrics "
                "WHERE typeof(value) NOT IN ('real', 'integer', 'null')"
            ):
                shown = value if kind == "text" else f"{len(value)} bytes"
                note("metrics", key, f"{name} is stored as {kind} {shown!r:.40}, not a number")
            for key, problem in self._damaged_predictions(keys).items():
                note("predictions", key, problem)
        for key in sorted(damage):
            self._report(f"{self.path}: damaged {damage[key]}; the run is left out")
        for suite in sorted({s for s in frame["suite"] if isinstance(s, str)}):
            row = self._db.execute("SELECT definition FROM suites WHERE name=?", (suite,)).fetchone()
            if row is not None:
                try:
                    _checked_definition(self.path, suite, row[0])
                except BenchError as exc:
                    self._report(f"{exc}; its report cannot be made")
        return damage

    def _damaged_predictions(self, keys: set[str]) -> dict[str, str]:
        """Blobs that are not NumPy arrays of numbers, or whose lengths disagree within a run."""
        problems: dict[str, str] = {}
        lengths: dict[str, dict[str, int]] = {}
        rows = self._db.execute(
            "SELECT run_key, name, typeof(array), length(array), substr(array, 1, 1024) "
            "FROM predictions"
        )
        for key, name, kind, size, head in rows:
            if key not in keys or key in problems:
                continue
            if kind != "blob":
                problems[key] = f"{name} is stored as {kind}, not an array"
                continue
            shape = _npy_shape(head, size)
            if isinstance(shape, str):
                problems[key] = f"{name} {shape}"
                continue
            if _per_item(name):
                lengths.setdefault(key, {})[name] = shape[0] if shape else 1
        for key, by_name in lengths.items():
            if key not in problems and len(set(by_name.values())) > 1:
                shown = ", ".join(f"{n} {v}" for n, v in sorted(by_name.items()))
                problems[key] = f"arrays of different lengths ({shown})"
        return problems

    def _report(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            warnings.warn(StoreDamageWarning(message), stacklevel=3)

    def history_frame(self, keys: Optional[Iterable[str]] = None) -> pd.DataFrame:
        """Long table of per-epoch values: run_key, epoch, name, value."""
        frame = pd.read_sql_query(
            "SELECT run_key, epoch, name, value FROM history ORDER BY run_key, name, epoch",
            self._db,
        )
        if keys is not None:
            frame = frame[frame["run_key"].isin(set(keys))]
        return frame.reset_index(drop=True)

    def predictions(self, key: str) -> dict[str, np.ndarray]:
        """A run's saved arrays (``y_true``, ``y_pred``, maybe coarse ones).

        Raises BenchError (one line naming the table and run) for a damaged blob.
        """
        rows = self._db.execute(
            "SELECT name, array FROM predictions WHERE run_key=?", (key,)
        ).fetchall()
        arrays = {}
        for name, blob in rows:
            try:
                if not isinstance(blob, bytes):
                    raise ValueError(f"is stored as {type(blob).__name__}, not an array")
                arrays[name] = _from_blob(blob)
                if arrays[name].dtype.kind not in "biuf":
                    raise ValueError(f"holds {arrays[name].dtype} values, not numbers")
            except ValueError as exc:
                raise BenchError(
                    f"{self.path}: damaged table predictions, run {key}: {name} {exc}"
                ) from None
        if len({len(a) if a.ndim else 1 for n, a in arrays.items() if _per_item(n)}) > 1:
            raise BenchError(
                f"{self.path}: damaged table predictions, run {key}: arrays of different lengths"
            )
        return arrays

    def run_manifests(self, keys: Optional[Iterable[str]] = None) -> dict[str, dict[str, Any]]:
        """Run key → its reproducibility manifest (runs recorded before schema 3 have none)."""
        if not self._has_table("run_manifests"):
            return {}
        rows = self._db.execute("SELECT run_key, manifest FROM run_manifests").fetchall()
        wanted = None if keys is None else set(keys)
        return {k: json.loads(m) for k, m in rows if wanted is None or k in wanted}

    def suite_manifest(self, name: str) -> Optional[dict[str, Any]]:
        """The manifest of the suite's last ``bench run``, or None."""
        if not self._has_table("suite_manifests"):
            return None
        row = self._db.execute(
            "SELECT manifest FROM suite_manifests WHERE suite=?", (name,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def _has_table(self, name: str) -> bool:
        # A store opened without migrating (read-only) may predate the table.
        return self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone() is not None

    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on error (isolation_level=None mode).

    An SQLite error inside (disk full, read-only file, I/O error) leaves as one
    :class:`~bench.errors.StoreWriteError` line naming the store and the cause.
    """

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise StoreWriteError(str(store_error(self._path, exc))) from None

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.DatabaseError as commit_error:
                exc = commit_error
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            pass  # SQLite already rolled back (a full disk does that)
        if isinstance(exc, sqlite3.DatabaseError):
            raise StoreWriteError(str(store_error(self._path, exc))) from None


def _finite_or_none(value: Any) -> Optional[float]:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


# -- opening: distinct messages, read-only connections --------------------------------------
def _checked_definition(path: Path, name: str, text: Any) -> dict[str, Any]:
    """The stored suite definition, or one line naming what in it is damaged."""
    where = f"{path}: damaged store: table suites, suite {name!r}"
    try:
        definition = json.loads(text)
    except (TypeError, ValueError) as exc:
        detail = f"{exc.msg} at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise BenchError(f"{where}: definition is not valid JSON ({detail})") from None
    if not isinstance(definition, dict):
        raise BenchError(f"{where}: definition is not a JSON object")
    variants = definition.get("variants")
    if not isinstance(variants, list):
        raise BenchError(f"{where}: definition has no variants list")
    for index, variant in enumerate(variants):
        if not isinstance(variant, dict) or not isinstance(variant.get("name"), str):
            raise BenchError(f"{where}: definition variants[{index}] has no name")
        if not isinstance(variant.get("config", {}), dict):
            raise BenchError(f"{where}: definition variants[{index}].config is not an object")
    definition.setdefault("name", name)
    return definition


def _npy_shape(head: Any, size: int) -> "tuple[int, ...] | str":
    """The shape in an ``.npy`` blob's header, or what is wrong with the blob."""
    if not isinstance(head, bytes) or not head.startswith(b"\x93NUMPY"):
        return "is not a NumPy array"
    try:
        stream = io.BytesIO(head)
        version = np.lib.format.read_magic(stream)
        read = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read(stream)
    except (ValueError, TypeError, SyntaxError, EOFError):
        return "has a damaged NumPy header"
    if dtype.kind not in "biuf":
        return f"holds {dtype} values, not numbers"
    expected = stream.tell() + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if expected != size:
        return f"is {size} bytes, but its header promises {expected}"
    return tuple(int(n) for n in shape)


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-journal")]


def _read_snapshot(path: Path) -> Optional[bytes]:
    """The file's bytes, if they were read whole while no writer was at work (else None)."""
    try:
        before = path.stat()
        if before.st_size > SNAPSHOT_LIMIT:
            return None
        data = path.read_bytes()
        after = path.stat()
    except OSError:
        return None
    if (before.st_mtime_ns, before.st_size) != (after.st_mtime_ns, after.st_size):
        return None
    if any(side.exists() for side in _sidecars(path)):
        return None
    return data


def _connect_for_reading(path: Path) -> sqlite3.Connection:
    """A connection that can only read, and leaves no trace beside the file.

    With no writer at work (no ``-wal`` or ``-journal`` beside the file) the
    store is read from one consistent copy in memory: SQLite's own read-only
    mode would create ``-wal``/``-shm`` files beside a WAL store and leave them
    there.  While a ``bench run`` writes, it is read through SQLite's locks
    (``mode=ro``); in a read-only folder, where no writer can be at work,
    ``immutable=1`` lets SQLite read without its shared-memory file.
    """
    if not any(side.exists() for side in _sidecars(path)):
        snapshot = _read_snapshot(path)
        if snapshot is not None:
            db = sqlite3.connect(":memory:", isolation_level=None)
            if snapshot:
                image = bytearray(snapshot)
                if image[:16] == b"SQLite format 3\x00" and len(image) >= 100:
                    image[18:20] = b"\x01\x01"  # WAL → rollback journal, in this copy only
                try:
                    db.deserialize(bytes(image))
                except (MemoryError, OverflowError):
                    db.close()
                    raise sqlite3.DatabaseError("file is not a database") from None
            db.execute("PRAGMA query_only=ON")
            return db
    uri = path.resolve().as_uri() + "?mode=ro"
    db = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        db.close()
        if "unable to open" not in str(exc) and "readonly" not in str(exc):
            raise
        db = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
    return db


def _why_not_writable(folder: Path) -> str:
    """Read-only file system or permissions: the two reasons a place refuses writes."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "a read-only place (read-only file system)"
    except OSError:
        pass
    return "permission denied"


def _check_store_path(path: Path, *, create: bool, write: bool) -> None:
    """Say exactly why a store cannot be opened: a folder, missing, read-only, permissions."""
    if path.is_dir():
        inside = path / layout.STORE_FILENAME
        hint = f"; the store inside it is {inside}" if inside.is_file() else ""
        raise BenchError(f"{path}: is a folder, not a results store file{hint}")
    if not path.exists():
        if path.is_symlink():
            raise BenchError(f"{path}: a symbolic link to a file that does not exist")
        if not create:
            raise BenchError(
                f"{path}: no results store here (no such file); run `bench run SUITE` first "
                f"or pass the path of an existing {layout.STORE_FILENAME}"
            )
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise BenchError(f"{path}: cannot create the store: {blocker} is a file, not a folder")
        existing = next(p for p in path.parents if p.exists())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise BenchError(
                f"{path}: cannot create the store's folder in {existing} "
                f"({_why_not_writable(existing)})"
            ) from None
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise BenchError(
                f"{path}: cannot create the store in {path.parent} ({_why_not_writable(path.parent)})"
            )
        return
    if not os.access(path, os.R_OK):
        raise BenchError(f"{path}: cannot read the results store (permission denied)")
    if write:
        folder = path.parent
        if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
            where = folder if os.access(path, os.W_OK) else path
            raise BenchError(
                f"{path}: cannot write the results store ({_why_not_writable(where)}); "
                "bench run records runs in it — pass --store PATH to write elsewhere"
            )


def store_error(path: Path, exc: sqlite3.DatabaseError) -> BenchError:
    """One line for an SQLite error, in words."""
    text = str(exc)
    if "not a database" in text:
        return BenchError(f"{path}: not a bench results store (not an SQLite file)")
    if "malformed" in text:
        return BenchError(f"{path}: damaged SQLite file ({text}); restore it from a copy")
    if "full" in text:
        return BenchError(f"{path}: cannot write the results store (the disk is full)")
    if "readonly" in text or "read-only" in text:
        return BenchError(f"{path}: cannot write the results store ({_why_not_writable(path.parent)})")
    if "unable to open" in text:
        return BenchError(f"{path}: cannot open the results store ({_why_not_writable(path.parent)})")
    if "locked" in text or "busy" in text:
        return BenchError(f"{path}: the store stayed locked by another process for a minute; try again")
    if "I/O" in text:
        return BenchError(f"{path}: cannot read or write the results store (an input/output error)")
    return BenchError(f"{path}: cannot use the results store ({text})")


def load_results(path: str | Path, suite: Optional[str] = None) -> pd.DataFrame:
    """Every planned run of a store as a DataFrame (the notebook entry point)."""
    with ResultStore(path, create=False) as store:
        return store.runs_frame(suite)
