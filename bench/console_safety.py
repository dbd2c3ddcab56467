"""How every verb ends: one line on stderr and an exit status, never a traceback.

A :class:`~bench.errors.BenchError` prints its message (status 2, or its own);
an ``OSError`` that no verb turned into words prints the path and the cause
(status 2); Ctrl-C and SIGTERM print one line each (status 130 and 143), after
the verb's own clean-up has run, so finished runs stay saved.  A damaged part
of a store (:class:`bench.errors.StoreDamageWarning`) is one ``warning:`` line, once.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

from bench.errors import BenchError, StoreDamageWarning

__all__ = ["Terminated", "one_line_failures"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so the same clean-up runs."""


@dataclass
class Outcome:
    status: int = 0


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def _warning_lines() -> Any:
    """A ``showwarning`` that prints store damage as one line, each message once."""
    shown: set[str] = set()
    original = warnings.showwarning

    def show(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if issubclass(category, StoreDamageWarning):
            text = " ".join(str(message).split())
            if text not in shown:
                shown.add(text)
                print(f"bench: warning: {text}", file=sys.stderr)
            return
        original(message, category, filename, lineno, file, line)

    return show


@contextlib.contextmanager
def one_line_failures() -> Iterator[Outcome]:
    """Run a verb; turn every way it can fail into one line and ``outcome.status``."""
    import sqlite3

    from bench.files import describe_os_error

    outcome = Outcome()
    previous_term = None
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        previous_term = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with warnings.catch_warnings():  # restores the filters and showwarning afterwards
            warnings.simplefilter("always", StoreDamageWarning)
            warnings.showwarning = _warning_lines()
            yield outcome
    except BenchError as exc:
        print(f"bench: error: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        outcome.status = exc.exit_code
    except Terminated:
        print("bench: terminated (SIGTERM); every finished run is saved in the store", file=sys.stderr)
        outcome.status = 143
    except KeyboardInterrupt:
        print("bench: interrupted; every finished run is saved in the store", file=sys.stderr)
        outcome.status = 130
    except BrokenPipeError:
        outcome.status = 0  # the reader stopped reading (`bench list | head`): not an error
        with contextlib.suppress(OSError):
            sys.stdout = open("/dev/null", "w")  # noqa: SIM115 (no flush error at exit)
    except OSError as exc:
        where = exc.filename or "bench"
        also = f" → {exc.filename2}" if exc.filename2 else ""
        print(f"bench: error: {where}{also}: {describe_os_error(exc)}", file=sys.stderr)
        outcome.status = 2
    except sqlite3.Error as exc:
        print(f"bench: error: results store: {exc}", file=sys.stderr)
        outcome.status = 2
    finally:
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
