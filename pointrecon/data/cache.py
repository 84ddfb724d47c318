"""On-disk cache of generated samples: one ``.npz`` per sample, written atomically.

The cache folder is keyed by a hash of every parameter that changes the generated data, so a
changed setting never reads stale samples. A file that cannot be read (e.g. left truncated by a
crash of a writer that bypassed the atomic rename) counts as a miss and is regenerated.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from pointrecon.utils.atomic import atomic_path, atomic_write_text


class SampleCache:
    """A folder of ``<key>.npz`` files under ``root/<name>-<hash of params>``.

    Args:
        root: the cache root folder (created on first write).
        name: a prefix for the sub-folder (e.g. the data set class).
        params: JSON-serialisable generation parameters; their hash names the sub-folder, and they
            are written beside the samples as ``params.json``.
    """

    def __init__(self, root: str | os.PathLike, name: str, params: dict[str, Any]) -> None:
        text = json.dumps(params, sort_keys=True, default=str)
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        self.dir = Path(root) / f"{name}-{digest}"
        self.params = params
        self._params_text = text

    def path(self, key: str) -> Path:
        """The file of sample ``key``."""
        return self.dir / f"{key}.npz"

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        """The cached arrays of ``key``, or None on a miss or an unreadable file."""
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
            warnings.warn(f"{path}: unreadable cache file ({err}); regenerating", stacklevel=2)
            return None

    def save(self, key: str, arrays: dict[str, np.ndarray]) -> Path:
        """Write ``arrays`` for ``key`` atomically (readers never see a partial file)."""
        if not (self.dir / "params.json").exists():
            atomic_write_text(self.dir / "params.json", self._params_text)
        path = self.path(key)
        with atomic_path(path) as tmp:
            np.savez(tmp, **arrays)
        return path
