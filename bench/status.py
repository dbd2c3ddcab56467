"""How a run ended: the one definition of the run statuses the store keeps."""

from __future__ import annotations

import enum

__all__ = ["Status"]


class Status(str, enum.Enum):
    """A run's outcome.  Only ``OK`` runs enter a statistic; the rest are counted."""

    OK = "ok"  #: finished; its metrics count
    FAILED = "failed"  #: raised an exception (traceback kept)
    DIVERGED = "diverged"  #: the loss became NaN or infinite
    BUDGET = "budget"  #: stopped by a time budget before its epochs were done

    def __str__(self) -> str:  # "ok", not "Status.OK", wherever a status is printed or stored
        return self.value
