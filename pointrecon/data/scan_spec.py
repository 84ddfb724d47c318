"""ScanSpec: the settings of a simulated partial scan, shared by every data set that scans meshes.

:func:`~pointrecon.data.make_completion_pair`, :class:`~pointrecon.data.SyntheticCompletion`,
:class:`~pointrecon.data.MeshFolderCompletion`, :class:`~pointrecon.data.ModelNet`, ``pointrecon
make-data`` and the data configs (``data.train.scan``) all take this one set of settings.

Split names, the split codes that seed items and the tag of the augmentation seed live here too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

#: the splits of the completion data sets, in the order of their codes
SPLITS = ("train", "val", "test")
#: last element of every item's augmentation seed ``[seed, split code, index, epoch, TAG]``
AUGMENT_SEED_TAG = 0x7A


def split_code(split: str, splits: tuple[str, ...] = SPLITS) -> int:
    """The index of ``split`` in ``splits``; ValueError naming the choices otherwise."""
    if split not in splits:
        raise ValueError(f"split must be one of {splits}, got {split!r}")
    return splits.index(split)


def check_setting(name: str, value: Any, kind: type, low: float, ranged: bool) -> Any:
    """One value, or (where ``ranged``) a ``[low, high]`` range drawn per item."""
    if not isinstance(value, (str, bytes)) and hasattr(value, "__len__"):
        vals = list(value)
        if not ranged:
            raise ValueError(f"{name} must be a single number, got {value!r}")
        if len(vals) != 2 or not all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in vals
        ):
            raise ValueError(f"{name} must be a number or a [low, high] range, got {value!r}")
        lo, hi = kind(vals[0]), kind(vals[1])
        if not low <= lo <= hi:
            raise ValueError(f"{name} range must satisfy {low} <= low <= high, got {value!r}")
        return [lo, hi]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = kind(value)
    if not v >= low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return v


def draw_setting(value: Any, rng: np.random.Generator) -> Any:
    """``value`` itself, or a draw from a ``[low, high]`` range (integers inclusive)."""
    if not isinstance(value, list):
        return value
    lo, hi = value
    if isinstance(lo, int):
        return int(rng.integers(lo, hi + 1))
    return float(rng.uniform(lo, hi))


@dataclass(frozen=True)
class ScanSpec:
    """How a partial scan is simulated and how many points a completion pair holds.

    Attributes:
        n_partial, n_complete: points of the partial scan / of the complete surface.
        num_views: cameras merged into one partial scan.
        noise_std: Gaussian depth noise, in units of the normalised object (radius 1).
        dropout: share of depth pixels dropped.
        width, height, fov_deg: the virtual depth camera.
        distance: camera distance, in object radii (sets the scan's resolution on the object).
        elevation_deg: ``[low, high]`` range of camera elevations (y up).

    ``num_views``, ``noise_std``, ``dropout`` and ``distance`` may be ``[low, high]`` ranges:
    :meth:`draw` then picks each item's value.
    """

    n_partial: int = 2048
    n_complete: int = 16384
    num_views: int | list[int] = 1
    noise_std: float | list[float] = 0.0
    dropout: float | list[float] = 0.0
    width: int = 160
    height: int = 120
    fov_deg: float = 65.0
    distance: float | list[float] = 2.5
    elevation_deg: tuple[float, float] = (-90.0, 90.0)

    def __post_init__(self) -> None:
        checked = {
            "n_partial": check_setting("n_partial", self.n_partial, int, 1, False),
            "n_complete": check_setting("n_complete", self.n_complete, int, 1, False),
            "num_views": check_setting("num_views", self.num_views, int, 1, True),
            "noise_std": check_setting("noise_std", self.noise_std, float, 0.0, True),
            "dropout": check_setting("dropout", self.dropout, float, 0.0, True),
            "width": check_setting("width", self.width, int, 1, False),
            "height": check_setting("height", self.height, int, 1, False),
            "fov_deg": check_setting("fov_deg", self.fov_deg, float, 1e-6, False),
            "distance": check_setting("distance", self.distance, float, 1e-6, True),
        }
        elev = list(self.elevation_deg)
        if len(elev) != 2:
            raise ValueError(f"elevation_deg must be a [low, high] range, got {elev!r}")
        checked["elevation_deg"] = tuple(float(e) for e in elev)
        for k, v in checked.items():
            object.__setattr__(self, k, v)

    @classmethod
    def create(cls, scan: ScanSpec | Mapping[str, Any] | None = None, **settings: Any) -> ScanSpec:
        """A spec from ``scan`` (a spec or a mapping of its fields) with ``settings`` over it.

        Unknown names raise TypeError naming them and the known fields.
        """
        base: dict[str, Any] = {}
        if isinstance(scan, ScanSpec):
            base = scan.as_dict()
        elif scan is not None:
            if not isinstance(scan, Mapping):
                raise TypeError(f"scan must be a ScanSpec or a mapping, got {type(scan).__name__}")
            base = {str(k): _plain(v) for k, v in scan.items()}
        base |= {k: _plain(v) for k, v in settings.items()}
        unknown = sorted(set(base) - set(FIELDS))
        if unknown:
            raise TypeError(f"unknown scan settings {unknown}; expected names from {list(FIELDS)}")
        return cls(**base)

    @classmethod
    def of(cls, node: Mapping[str, Any] | None) -> ScanSpec:
        """The spec of a data set's keyword arguments (a split of a data config): its ``scan``
        node with any flat settings (the keys of older configs) over it."""
        node = node or {}
        flat = {k: node[k] for k in FIELDS if k in node}
        return cls.create(node.get("scan"), **flat)

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain values (ranges as lists), in field order."""
        return {f: getattr(self, f) for f in FIELDS}

    def draw(self, rng: np.random.Generator) -> ScanSpec:
        """A spec with every range replaced by a value drawn from ``rng`` (in field order)."""
        return dataclasses.replace(
            self, **{k: draw_setting(v, rng) for k, v in self.as_dict().items()}
        )

    @property
    def ranged(self) -> bool:
        """Whether any setting is a range."""
        return any(isinstance(v, list) for v in self.as_dict().values())


def _plain(value: Any) -> Any:
    """OmegaConf lists and tuples as plain lists."""
    if not isinstance(value, (str, bytes)) and hasattr(value, "__len__"):
        return list(value)
    return value


FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ScanSpec))

__all__ = ["AUGMENT_SEED_TAG", "FIELDS", "SPLITS", "ScanSpec", "split_code"]
