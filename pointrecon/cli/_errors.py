"""One way for commands to report the package's own errors: a line naming the problem, exit 1."""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from pointrecon.errors import PointreconError

F = TypeVar("F", bound=Callable[..., Any])

# the machine's state, not a bug: a line naming the file is all the user needs
_FILE_SYSTEM_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def reports_errors(command: str) -> Callable[[F], F]:
    """Turn a :class:`PointreconError` raised by ``fn`` into ``pointrecon <command>: error: ...``
    on stderr and exit status 1, instead of a traceback (Hydra would print one)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except PointreconError as exc:
                print(f"pointrecon {command}: error: {exc}", file=sys.stderr)
                raise SystemExit(1) from None
            except OSError as exc:
                if exc.errno not in _FILE_SYSTEM_ERRORS:
                    raise
                where = exc.filename or "a file"
                print(f"pointrecon {command}: error: {where}: {exc.strerror}", file=sys.stderr)
                raise SystemExit(1) from None

        return wrapper  # type: ignore[return-value]

    return decorate
