"""The package's exception types.

Every failure that pointrecon detects is raised as a :class:`PointreconError` subclass, with a
message that names the file or argument concerned and the reason.
"""

from __future__ import annotations

import os


class PointreconError(Exception):
    """Base class of every error pointrecon raises on purpose."""


class DataError(PointreconError, ValueError):
    """A file or in-memory data set that cannot be read or used.

    Attributes:
        path: the file concerned, or ``None`` for in-memory data.
        reason: what is wrong, in words.
    """

    def __init__(self, path: str | os.PathLike | None, reason: str) -> None:
        self.path = None if path is None else os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path is not None else reason)


class ConfigError(PointreconError, ValueError):
    """A configuration that is refused (unknown or forbidden ``_target_``, bad value)."""


class CheckpointError(PointreconError):
    """A checkpoint that is missing, incomplete, or refused as unsafe."""


class OutputError(PointreconError, ValueError):
    """An output path that is refused: one of the inputs, an existing file without
    ``overwrite=true``, or a read-only file."""


class RunLockedError(PointreconError):
    """A run folder that another live process is training into."""
