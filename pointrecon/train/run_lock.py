"""One live training per run folder: ``<run>/.lock`` holds the PID and host of its owner.

The file is held with an exclusive ``flock`` for as long as the run lives, so the operating system
releases it when the process dies, even by ``kill -9``. A second run into a held folder fails at
once, naming the owner; a lock left by a dead process is taken over with a warning.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
import warnings
from pathlib import Path

from pointrecon.errors import RunLockedError

LOCK_NAME = ".lock"


class RunLock:
    """An exclusive lock on run folder ``run_dir`` (created if needed); :meth:`release` frees it.

    Raises:
        RunLockedError: another live process holds the folder.
    """

    def __init__(self, run_dir: str | os.PathLike) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = self._read_owner()
            os.close(self._fd)
            self._fd = None
            who = f"pid {owner.get('pid', '?')} on host {owner.get('host', '?')}"
            raise RunLockedError(
                f"{self.path.parent}: another training is running in this run folder ({who}, "
                f"lock file {self.path}); wait for it to end or choose another hydra.run.dir"
            ) from None
        old = self._read_owner()
        if old.get("pid"):
            warnings.warn(
                f"{self.path}: taking over a stale lock of pid {old.get('pid')} on host "
                f"{old.get('host')} (that process is no longer running)",
                stacklevel=2,
            )
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(me).encode(), 0)
        os.fsync(self._fd)

    def _read_owner(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        """Free the folder (idempotent). The emptied lock file stays behind."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
