"""Helpers shared by the readers: path checks, bounded reads, finite checks."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

NAN_POLICIES = ("error", "drop")


def check_file(path: str | os.PathLike, extensions: tuple[str, ...], kind: str) -> tuple[Path, str]:
    """Return ``(Path, lower-case extension)`` for a readable regular file of a known format.

    Raises:
        DataError: missing path, a directory, an unknown extension or an unreadable file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in extensions:
        raise DataError(
            p, f"unknown {kind} extension {p.suffix!r}; expected one of {', '.join(extensions)}"
        )
    try:
        st = p.stat()
    except FileNotFoundError:
        raise DataError(p, "file not found") from None
    except OSError as exc:  # symlink loop, name too long, permission on a parent, ...
        raise DataError(p, f"cannot access file: {exc.strerror or exc}") from None
    if p.is_dir():
        raise DataError(p, "is a directory, expected a file")
    if not p.is_file():
        raise DataError(p, "is not a regular file")
    if not os.access(p, os.R_OK):
        raise DataError(p, "file is not readable (permission denied)")
    del st
    return p, ext


def read_bytes(path: Path) -> bytes:
    """Read the whole file, turning OS errors into DataError."""
    try:
        return path.read_bytes()
    except PermissionError:
        raise DataError(path, "file is not readable (permission denied)") from None
    except OSError as exc:
        raise DataError(path, f"cannot read file: {exc.strerror or exc}") from None


def decode_text(path: Path, data: bytes) -> str:
    """Decode a text file as UTF-8 (latin-1 fallback); refuse binary content (NUL bytes)."""
    if b"\x00" in data:
        raise DataError(path, "malformed text file: contains NUL bytes (binary data?)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_floats(path: Path, tokens: list[str], what: str) -> np.ndarray:
    """Convert string tokens to float64, raising DataError naming the first bad token."""
    try:
        return np.array(tokens, dtype=np.float64)
    except (ValueError, OverflowError):
        for t in tokens:
            try:
                float(t)
            except ValueError:
                raise DataError(path, f"malformed {what}: {t[:40]!r} is not a number") from None
        raise DataError(path, f"malformed {what}") from None


def check_nan_policy(nan_policy: str) -> None:
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy: expected one of {NAN_POLICIES}, got {nan_policy!r}")


def finite_mask(path: Path, points: np.ndarray, nan_policy: str) -> np.ndarray | None:
    """Return a keep-mask for non-finite rows (None when all finite); raise under "error"."""
    finite = np.isfinite(points).all(axis=1)
    bad = int(points.shape[0] - np.count_nonzero(finite))
    if bad == 0:
        return None
    if nan_policy == "error":
        raise DataError(
            path,
            f"{bad} of {points.shape[0]} points have NaN/Inf coordinates "
            "(pass nan_policy='drop' to drop them)",
        )
    warnings.warn(
        f"{path}: dropped {bad} of {points.shape[0]} points with NaN/Inf coordinates", stacklevel=3
    )
    return finite


def min_bytes_check(path: Path, count: int, min_bytes_each: int, available: int, what: str) -> None:
    """Refuse a header count that the remaining file cannot possibly hold (before allocating)."""
    if count < 0:
        raise DataError(path, f"malformed header: negative {what} count {count}")
    need = count * min_bytes_each
    if need > available:
        raise DataError(
            path,
            f"header declares {count} {what} (at least {need} bytes) but the file holds only "
            f"{available} bytes after the header: truncated or corrupt file",
        )
