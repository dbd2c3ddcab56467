"""Tasks: what a dataset's targets are, how a model is trained on them and how its
predictions become a run's metrics and per-item views.

Each public module here is one task (``classification``, ``hierarchical``); it registers
a :class:`Task` and its metrics (:mod:`bench.metrics`) when imported and never imports
TensorFlow at import time.  The contract is in :mod:`bench.tasks._base`.
"""

from bench.tasks._base import (
    Evaluation,
    FigureRequest,
    FitTargets,
    ItemViews,
    PairedTest,
    RunItems,
    Task,
    TaskFigure,
    get,
    named_outputs,
    names,
    register,
    task_of,
    unregister,
)

__all__ = [
    "Evaluation",
    "FigureRequest",
    "FitTargets",
    "ItemViews",
    "PairedTest",
    "RunItems",
    "Task",
    "TaskFigure",
    "get",
    "named_outputs",
    "names",
    "register",
    "task_of",
    "unregister",
]
