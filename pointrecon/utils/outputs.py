"""The one check every command runs before writing a user-named output file.

An output is refused when it is one of the inputs (the same file, through any path or link), when
it exists and ``overwrite`` was not given, and always when it is a read-only file. Checked
before any work is done, so a refused command has changed nothing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from pointrecon.errors import OutputError


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def is_read_only(path: str | os.PathLike) -> bool:
    """Whether ``path`` has no write permission bit at all (also true for root, who could write)."""
    return (Path(path).stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) == 0


def check_output(
    output: str | os.PathLike,
    inputs: Iterable[str | os.PathLike] = (),
    *,
    overwrite: bool = False,
    hint: str = "overwrite=true",
) -> Path:
    """Return ``output`` as a Path if it may be written, else raise :class:`OutputError`.

    Args:
        output: the file about to be written.
        inputs: the files the command reads; the output may be none of them.
        overwrite: whether an existing output may be replaced.
        hint: how the user asks for ``overwrite`` with this command (named in the message).
    """
    out = Path(output).expanduser()
    for src in inputs:
        src = Path(src).expanduser()
        if _same_file(out, src) or out.resolve() == src.resolve():
            raise OutputError(
                f"{out}: the output is the input file {src}; refusing to replace the input "
                "(choose another output path)"
            )
    if out.is_dir():
        raise OutputError(f"{out}: the output is an existing folder, expected a file path")
    if out.exists() or out.is_symlink():
        if out.exists() and is_read_only(out):
            raise OutputError(f"{out}: the output file is read-only; it is never replaced")
        if not overwrite:
            raise OutputError(f"{out}: the output file exists; give {hint} to replace it")
    return out
