"""How a run ended: the one definition of the run statuses the store keeps."""

from __future__ import annotations

import enum

__all__ = ["MISSING", "Status", "failure_cause"]


class Status(str, enum.Enum):
    """A run's outcome.  Only ``OK`` runs enter a statistic; the rest are counted."""

    OK = "ok"  #: finished; its metrics count
    FAILED = "failed"  #: raised an exception (traceback kept)
    DIVERGED = "diverged"  #: the loss became NaN or infinite
    BUDGET = "budget"  #: stopped by a time budget before its epochs were done
    DAMAGED = "damaged"  #: read side only: its stored row cannot be read; never written

    def __str__(self) -> str:  # "ok", not "Status.OK", wherever a status is printed or stored
        return self.value


#: Read side only: the status a planned run that was never trained is listed with.
MISSING = "missing"


def failure_cause(error: object) -> str:
    """The one line of a run's recorded error that says why it failed.

    A traceback ends with its exception; any other record (a worker that died,
    with its output's last lines after) starts with its cause.
    """
    lines = [line.strip() for line in str(error or "").strip().splitlines() if line.strip()]
    if not lines:
        return "no error recorded"
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]
