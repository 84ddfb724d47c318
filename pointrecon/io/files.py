"""Walk a data-set folder: ``find_files``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pointrecon.errors import DataError


def find_files(root: str | os.PathLike, extensions: str | Iterable[str]) -> list[Path]:
    """All files under ``root`` whose extension (case-insensitive) is in ``extensions``, sorted.

    Symlinked folders are followed once: a folder already visited (same device and inode) is not
    entered again, so symlink loops end. Broken links and unreadable folders are skipped.

    Raises:
        DataError: ``root`` missing, or a file where a folder is expected.
    """
    rootp = Path(root)
    if isinstance(extensions, str):
        extensions = [extensions]
    exts = {("." + e.lower().lstrip(".")) for e in extensions}
    if not exts:
        raise ValueError("extensions: expected at least one extension, got none")
    if not rootp.exists():
        raise DataError(rootp, "folder not found")
    if not rootp.is_dir():
        raise DataError(rootp, "is a file, expected a folder")
    seen: set[tuple[int, int]] = set()
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(rootp, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            dirnames[:] = []
            continue
        seen.add(key)
        for name in filenames:
            if os.path.splitext(name)[1].lower() in exts:
                f = Path(dirpath) / name
                if f.is_file():
                    out.append(f)
    return sorted(out)
