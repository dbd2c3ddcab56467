"""Train in this process, one run after another: the library default.

Nothing is spawned, so a debugger, a notebook and test fixtures (``sys.path``
tweaks, monkeypatching) see the training as it happens.  The price: a crash
of TensorFlow itself ends the process (worker processes contain that).
"""

from __future__ import annotations

import time
from typing import Optional, Sequence

from bench.executors.protocol import POLL_SECONDS, Listener, WorkQueue
from bench.suite import RunSpec


class InlineExecutor:
    """One slot, in the caller's process, TensorFlow's default threading."""

    name = "inline"
    slots = 1

    def __enter__(self) -> "InlineExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start(self, specs: Sequence[RunSpec]) -> None:
        return None

    def describe(self, lang: Optional[str] = None) -> str:
        from bench import words

        return words.t("executor.inline", lang)

    def run(self, queue: WorkQueue, listener: Listener) -> None:
        from bench.worker import train_run

        while True:
            spec = queue.take()
            if spec is None:
                if queue.exhausted():
                    return
                time.sleep(POLL_SECONDS)  # runs held by another `bench run`: ask again
                continue
            listener.on_start(0, spec)

            def on_epoch(epoch: int, of: int, logs: dict[str, float], spec=spec) -> None:  # type: ignore[no-untyped-def]
                listener.on_epoch(0, spec, epoch, of, logs)

            listener.on_result(0, spec, train_run(spec, on_epoch=on_epoch))
