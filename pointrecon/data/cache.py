"""On-disk cache of generated samples: one ``.npz`` per sample, written atomically.

The cache folder is keyed by a hash of every parameter that changes the generated data, so a
changed setting never reads stale samples. Each file also records what generated it (that hash
and the sample's key) and a checksum of its arrays (names, dtypes, shapes, bytes). A file that
cannot be read, was written for another sample or other settings, fails its checksum, holds
NaN where the generator wrote finite values, or misses an array counts as a miss: a warning names
the file and the sample is regenerated. A cache folder that cannot be written is given up with
one warning (the data set still works, uncached).
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
        self.digest = digest
        self._params_text = text
        self.disabled = False

    def path(self, key: str) -> Path:
        """The file of sample ``key``."""
        return self.dir / f"{key}.npz"

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        """The cached arrays of ``key``, or None on a miss or a file that fails verification."""
        if self.disabled:
            return None
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
            warnings.warn(f"{path}: unreadable cache file ({err}); regenerating", stacklevel=2)
            return None
        problem = self._verify(key, arrays)
        if problem:
            warnings.warn(f"{path}: cache file rejected ({problem}); regenerating", stacklevel=2)
            return None
        arrays.pop(META, None)
        return arrays

    def _verify(self, key: str, arrays: dict[str, np.ndarray]) -> str | None:
        if META not in arrays:
            return "no generating key or checksum recorded"
        try:
            meta = json.loads(str(arrays[META]))
        except ValueError:
            return "unreadable metadata"
        if not isinstance(meta, dict):
            return "unreadable metadata"
        if meta.get("params") != self.digest:
            return f"written for other data-set settings ({meta.get('params')!r})"
        if meta.get("key") != key:
            return f"written for sample {meta.get('key')!r}, not {key!r}"
        data = {k: v for k, v in arrays.items() if k != META}
        if sorted(data) != sorted(meta.get("arrays", [])):
            return f"arrays {sorted(data)} instead of {sorted(meta.get('arrays', []))}"
        for name in meta.get("finite", []):
            if not np.all(np.isfinite(data[name])):
                return f"non-finite values in {name!r}"
        if _checksum(data) != meta.get("checksum"):
            return "checksum mismatch (contents, shape or dtype changed)"
        return None

    def save(self, key: str, arrays: dict[str, np.ndarray]) -> Path | None:
        """Write ``arrays`` for ``key`` atomically (readers never see a partial file).

        Returns the file, or None when the cache folder cannot be written (warned once; the
        cache is then off for this object).
        """
        if self.disabled:
            return None
        arrays = {k: np.asarray(v) for k, v in arrays.items()}
        meta = {
            "params": self.digest,
            "key": key,
            "arrays": sorted(arrays),
            "finite": sorted(
                k for k, v in arrays.items() if v.dtype.kind == "f" and np.all(np.isfinite(v))
            ),
            "checksum": _checksum(arrays),
        }
        path = self.path(key)
        try:
            if not (self.dir / "params.json").exists():
                atomic_write_text(self.dir / "params.json", self._params_text)
            with atomic_path(path) as tmp:
                np.savez(tmp, **arrays, **{META: np.asarray(json.dumps(meta))})
        except OSError as err:
            self.disabled = True
            warnings.warn(
                f"{self.dir}: cannot write the data cache ({err.strerror or err}); continuing "
                "without a cache",
                stacklevel=2,
            )
            return None
        return path


META = "__pointrecon_cache__"


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    """A digest of the arrays' names, dtypes, shapes and bytes."""
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()
