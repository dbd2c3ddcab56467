"""The one user-facing error type: caught once in the CLI, printed as one line, exit status 2."""

from __future__ import annotations


class BenchError(Exception):
    """A mistake in the user's input (suite file, store, arguments).

    The message is complete on its own: it names the file, line and key where
    known, the bad value, and what is allowed.  The CLI prints it without a
    traceback and exits with status 2.
    """

    exit_code = 2


class DataUnavailableError(BenchError):
    """A dataset's files are absent and cannot be downloaded here."""


class StoreWriteError(BenchError):
    """The results store could not be written while runs were being saved (disk full, I/O).

    Exit status 1: what finished before is in the store; the next ``bench run`` resumes.
    """

    exit_code = 1


class StoreDamageWarning(UserWarning):
    """A part of a store that cannot be read (one run, one table); the rest is still used."""


class AllRunsFailedError(BenchError):
    """Every run a ``bench run`` trained failed: nothing new to report.  Exit status 1."""

    exit_code = 1
