"""The canonical batch of point clouds: dense, channels-last, optionally ragged.

Shapes:
    points:  (B, N, 3) float
    lengths: (B,) int64, optional; sample b uses ``points[b, :lengths[b]]``, the rest is padding
    feats:   (B, N, C) float, optional per-point features (any channels)
    colors:  (B, N, 3) float in [0, 1], optional per-point colours
    normals: (B, N, 3) float, optional per-point normals

``colors``, ``normals`` and ``feats`` are padded like ``points`` (same lengths). Colour rule,
applied when a batch is built: integer colours (``uint8`` ...) are read as 0..255 and divided by
255; float colours whose largest value is above 1.001 are read as 0..255 too; other float
colours are taken as [0, 1] (overshoots up to 1.001, rounding error, are clipped to 1). Negative
or above-255 colours raise ``ValueError``.

Conversions (each keeps points, colours, normals and feats where the target can carry them, and
warns naming what it drops): numpy (:meth:`PointBatch.from_numpy`, :meth:`PointBatch.to_arrays`),
Open3D legacy and tensor point clouds, trimesh, and PyG (``pos``, ``x`` = feats, ``color``,
``normal``).

PyG's flat ``(pos, batch)`` form exists only at the edges, through :meth:`PointBatch.to_packed`
and :meth:`PointBatch.from_packed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from pointrecon.checks import check_features, check_lengths, check_points, describe


def _unit_colors(c: Tensor, dtype: torch.dtype) -> Tensor:
    """The module's colour rule on a tensor: integers and floats above 1.001 are 0..255."""
    integer = not c.is_floating_point()
    out = c.to(dtype) if integer or c.dtype != dtype else c
    if out.numel() == 0:
        return out
    if not bool(torch.isfinite(out).all()):
        raise ValueError("colors must be finite")
    lo, hi = float(out.min()), float(out.max())
    if lo < 0:
        raise ValueError(f"colors must be non-negative, got a minimum of {lo:g}")
    if hi > 255:
        raise ValueError(f"colors must lie in [0, 1] or [0, 255], got a maximum of {hi:g}")
    if integer or hi > 1.0 + 1e-3:
        return out / 255.0
    return out.clamp(max=1.0) if hi > 1.0 else out


@dataclass
class PointBatch:
    """A batch of point clouds in the dense ``(B, N, 3)`` form, with optional ragged lengths.

    The ops and metrics take a PointBatch wherever they take a ``(points, lengths)`` pair, e.g.
    ``chamfer_l1(pred_batch, gt_batch)`` or ``knn(batch, batch, 8)``.
    """

    _is_point_batch: ClassVar[bool] = True

    points: Tensor
    lengths: Tensor | None = None
    feats: Tensor | None = None
    colors: Tensor | None = None
    normals: Tensor | None = None

    def __post_init__(self) -> None:
        p = check_points("points", self.points)
        B, N = p.shape[:2]
        if self.lengths is not None:
            check_lengths("lengths", self.lengths, p, int32_ok=False)
        if self.feats is not None:
            f = check_features("feats", self.feats)
            if f.shape[:2] != (B, N):
                raise ValueError(
                    f"feats must have shape (B, N, C)=({B}, {N}, C), got {tuple(f.shape)}"
                )
            if f.device != p.device:
                raise ValueError(f"feats is on {f.device} but points is on {p.device}")
        for name in ("colors", "normals"):
            v = getattr(self, name)
            if v is None:
                continue
            if not isinstance(v, Tensor):
                raise TypeError(f"{name} must be a torch.Tensor, got {describe(v)}")
            if v.shape != (B, N, 3):
                raise ValueError(
                    f"{name} must have shape (B, N, 3)=({B}, {N}, 3), got {tuple(v.shape)}"
                )
            if v.device != p.device:
                raise ValueError(f"{name} is on {v.device} but points is on {p.device}")
        if self.colors is not None:
            self.colors = _unit_colors(self.colors, p.dtype)
        if self.normals is not None and not self.normals.is_floating_point():
            raise TypeError(f"normals must be a floating-point tensor, got {self.normals.dtype}")

    # ------------------------------------------------------------------ properties
    @property
    def batch_size(self) -> int:
        return self.points.shape[0]

    @property
    def num_points(self) -> int:
        """N, the padded number of points per sample."""
        return self.points.shape[1]

    @property
    def device(self) -> torch.device:
        return self.points.device

    def counts(self) -> Tensor:
        """Valid points per sample, ``(B,)`` int64 (``N`` everywhere when not ragged)."""
        if self.lengths is not None:
            return self.lengths
        return torch.full(
            (self.batch_size,), self.num_points, dtype=torch.int64, device=self.device
        )

    def mask(self) -> Tensor:
        """``(B, N)`` bool, True where a point is valid."""
        ar = torch.arange(self.num_points, device=self.device)
        return ar[None, :] < self.counts()[:, None]

    def to(self, *args: Any, **kwargs: Any) -> PointBatch:
        """Move to a device / dtype like ``Tensor.to``; lengths keep int64."""
        points = self.points.to(*args, **kwargs)
        lengths = None if self.lengths is None else self.lengths.to(points.device)
        feats, colors, normals = (
            None if v is None else v.to(*args, **kwargs)
            for v in (self.feats, self.colors, self.normals)
        )
        return PointBatch(points, lengths, feats, colors, normals)

    def __getitem__(self, b: int) -> Tensor:
        """The valid points of sample ``b``, ``(n_b, 3)``."""
        return self.points[b, : int(self.counts()[b])]

    def _valid(self, name: str, b: int) -> Tensor | None:
        """The valid rows of attribute ``name`` ("feats", "colors", "normals") of sample ``b``."""
        v = getattr(self, name)
        return None if v is None else v[b, : int(self.counts()[b])]

    # ------------------------------------------------------------------ lists
    @classmethod
    def from_list(
        cls,
        clouds: Sequence[Tensor | np.ndarray],
        feats: Sequence[Tensor | np.ndarray] | None = None,
        *,
        colors: Sequence[Tensor | np.ndarray] | None = None,
        normals: Sequence[Tensor | np.ndarray] | None = None,
    ) -> PointBatch:
        """Stack clouds of possibly different sizes, zero-padded, with ``lengths`` when ragged.

        ``feats`` (n_i, C), ``colors`` (n_i, 3) and ``normals`` (n_i, 3) give one array per cloud
        and are padded the same way; colours follow the module's 0..255 rule (judged over the
        whole batch).
        """
        if len(clouds) == 0:
            raise ValueError("clouds must contain at least one point cloud, got an empty sequence")
        ts = [torch.as_tensor(c) for c in clouds]
        for i, t in enumerate(ts):
            if t.dim() != 2 or t.shape[1] != 3:
                raise ValueError(f"clouds[{i}] must have shape (N, 3), got {tuple(t.shape)}")
        dtype = ts[0].dtype if ts[0].is_floating_point() else torch.float32
        ns = [t.shape[0] for t in ts]
        N = max(ns)
        points = ts[0].new_zeros((len(ts), N, 3), dtype=dtype)
        for i, t in enumerate(ts):
            points[i, : ns[i]] = t.to(dtype)

        def stack(values: Sequence[Tensor | np.ndarray] | None, name: str) -> Tensor | None:
            if values is None:
                return None
            vs = [
                torch.from_numpy(np.array(x)) if isinstance(x, np.ndarray) else torch.as_tensor(x)
                for x in values
            ]
            if len(vs) != len(ts):
                raise ValueError(f"{name} has {len(vs)} entries but clouds has {len(ts)}")
            C = vs[0].shape[1] if vs[0].dim() == 2 else -1
            if name != "feats" and C != 3:
                raise ValueError(
                    f"{name}[0] must have shape ({ns[0]}, 3), got {tuple(vs[0].shape)}"
                )
            keep_int = name == "colors" and not any(v.is_floating_point() for v in vs)
            out_dtype = vs[0].dtype if keep_int else dtype
            out = torch.zeros((len(ts), N, C), dtype=out_dtype, device=points.device)
            for i, x in enumerate(vs):
                if tuple(x.shape) != (ns[i], C):
                    raise ValueError(
                        f"{name}[{i}] must have shape ({ns[i]}, {C}), got {tuple(x.shape)}"
                    )
                out[i, : ns[i]] = x.to(out_dtype)
            return out

        f = stack(feats, "feats")
        c = stack(colors, "colors")
        nrm = stack(normals, "normals")
        lengths = None if len(set(ns)) == 1 else torch.tensor(ns, dtype=torch.int64)
        return cls(points, lengths, f, c, nrm)

    def to_list(self) -> list[Tensor]:
        """The valid points of each sample."""
        return [self[b] for b in range(self.batch_size)]

    # ------------------------------------------------------------------ PyG packed form
    def to_packed(self) -> tuple[Tensor, Tensor, Tensor | None]:
        """``(pos (P, 3), batch (P,) int64, x (P, C) or None)`` with P the total valid points.

        Colours and normals packed the same way: ``self.colors[self.mask()]``.
        """
        m = self.mask()
        pos = self.points[m]
        batch = torch.arange(self.batch_size, device=self.device)[:, None].expand_as(m)[m]
        x = None if self.feats is None else self.feats[m]
        return pos, batch, x

    @classmethod
    def from_packed(
        cls,
        pos: Tensor,
        batch: Tensor,
        x: Tensor | None = None,
        batch_size: int | None = None,
        *,
        colors: Tensor | None = None,
        normals: Tensor | None = None,
    ) -> PointBatch:
        """Inverse of :meth:`to_packed`; ``batch`` must be sorted, as PyG makes it.

        ``colors`` (P, 3) and ``normals`` (P, 3), when given, are unpacked like ``x``.
        """
        if pos.dim() != 2 or pos.shape[1] != 3:
            raise ValueError(f"pos must have shape (P, 3), got {tuple(pos.shape)}")
        if batch.shape != pos.shape[:1]:
            raise ValueError(f"batch must have shape ({pos.shape[0]},), got {tuple(batch.shape)}")
        if batch.numel() and bool((batch[1:] < batch[:-1]).any()):
            raise ValueError("batch must be sorted in ascending order")
        B = batch_size if batch_size is not None else (int(batch.max()) + 1 if batch.numel() else 0)
        counts = torch.bincount(batch, minlength=B).to(torch.int64)
        N = int(counts.max()) if B else 0
        starts = torch.cumsum(counts, 0) - counts
        slot = torch.arange(pos.shape[0], device=pos.device) - starts[batch]
        points = pos.new_zeros((B, N, 3))
        points[batch, slot] = pos

        def unpack(v: Tensor | None, name: str) -> Tensor | None:
            if v is None:
                return None
            if v.dim() == 1:
                v = v[:, None]
            if v.shape[0] != pos.shape[0]:
                raise ValueError(f"{name} must have {pos.shape[0]} rows, got {tuple(v.shape)}")
            out = v.new_zeros((B, N, v.shape[1]))
            out[batch, slot] = v
            return out

        ragged = B > 0 and bool((counts != N).any())
        return cls(
            points,
            counts if ragged else None,
            unpack(x, "x"),
            unpack(colors, "colors"),
            unpack(normals, "normals"),
        )

    def to_pyg(self) -> Any:
        """A ``torch_geometric.data.Batch`` (needs the ``pyg`` extra): ``pos``, ``batch``, ``x``
        (feats), and the attributes ``color`` and ``normal`` (P, 3) when the batch has them."""
        from pointrecon.utils.optional import require

        pyg_data = require("torch_geometric.data", "PointBatch.to_pyg")
        Batch, Data = pyg_data.Batch, pyg_data.Data

        datas = []
        for b in range(self.batch_size):
            kw = {"pos": self[b], "x": self._valid("feats", b)}
            if self.colors is not None:
                kw["color"] = self._valid("colors", b)
            if self.normals is not None:
                kw["normal"] = self._valid("normals", b)
            datas.append(Data(**kw))
        return Batch.from_data_list(datas)

    @classmethod
    def from_pyg(cls, data: Any) -> PointBatch:
        """From a PyG ``Data`` (one cloud) or ``Batch``: ``pos``, ``batch``, ``x`` (feats),
        colours from ``color`` (or ``colors``) and normals from ``normal`` (or ``norm``,
        ``normals``), the names PyG's ``SamplePoints`` and ``GenerateMeshNormals`` use."""
        pos = getattr(data, "pos", None)
        if pos is None:
            raise ValueError("PyG data has no 'pos' attribute")
        batch = getattr(data, "batch", None)
        if batch is None:
            batch = torch.zeros(pos.shape[0], dtype=torch.int64, device=pos.device)

        def first(*names: str) -> Tensor | None:
            for n in names:
                v = getattr(data, n, None)
                if v is not None:
                    return v
            return None

        return cls.from_packed(
            pos,
            batch,
            getattr(data, "x", None),
            getattr(data, "num_graphs", None),
            colors=first("color", "colors"),
            normals=first("normal", "norm", "normals"),
        )

    # ------------------------------------------------------------------ numpy
    def numpy(self) -> list[np.ndarray]:
        """Each sample's valid points as a float32 ``(n, 3)`` numpy array."""
        return [t.detach().cpu().numpy().astype(np.float32) for t in self.to_list()]

    def to_arrays(self) -> list[dict[str, np.ndarray]]:
        """Each sample's valid ``points`` and, where present, ``colors``, ``normals`` and
        ``feats`` as numpy arrays (dtype kept), in one dict per sample."""
        out = []
        for b in range(self.batch_size):
            d = {"points": self[b].detach().cpu().numpy()}
            for name in ("colors", "normals", "feats"):
                v = self._valid(name, b)
                if v is not None:
                    d[name] = v.detach().cpu().numpy()
            out.append(d)
        return out

    @classmethod
    def from_numpy(
        cls,
        clouds: np.ndarray | Sequence[np.ndarray],
        *,
        colors: np.ndarray | Sequence[np.ndarray] | None = None,
        normals: np.ndarray | Sequence[np.ndarray] | None = None,
        feats: np.ndarray | Sequence[np.ndarray] | None = None,
    ) -> PointBatch:
        """From a ``(B, N, 3)`` array or a list of ``(n, 3)`` arrays (points as float32), with
        optional ``colors``/``normals`` ``(B, N, 3)`` and ``feats`` ``(B, N, C)`` (or lists)."""
        if isinstance(clouds, np.ndarray) and clouds.ndim == 3:
            pts = torch.from_numpy(np.ascontiguousarray(clouds, dtype=np.float32))

            def t(v: Any, keep: bool = False) -> Tensor | None:
                if v is None:
                    return None
                x = torch.as_tensor(np.ascontiguousarray(np.stack(v)))
                return x if keep else x.to(pts.dtype)

            return cls(pts, None, t(feats), t(colors, keep=True), t(normals))
        return cls.from_list(
            [np.asarray(c, dtype=np.float32) for c in clouds],
            feats,
            colors=colors,
            normals=normals,
        )

    def _per_sample(self) -> list[dict[str, np.ndarray | None]]:
        rows = []
        for d in self.to_arrays():
            rows.append({k: d.get(k) for k in ("points", "colors", "normals", "feats")})
        return rows

    def to_open3d(self, tensor: bool = False) -> list[Any]:
        """One Open3D point cloud per sample, with colours and normals.

        ``tensor=False``: ``open3d.geometry.PointCloud`` (float64); it has no slot for feats,
        which are dropped with a ``UserWarning``. ``tensor=True``: ``open3d.t.geometry.PointCloud``
        (dtypes kept) with feats of any width in the custom attribute ``feats``.
        """
        from pointrecon.io import convert

        make = convert.to_open3d_tensor if tensor else convert.to_open3d_legacy
        return [make(**d, name=f"sample {b}") for b, d in enumerate(self._per_sample())]

    @classmethod
    def _from_dicts(cls, rows: list[dict[str, np.ndarray | None]], source: str) -> PointBatch:
        kw: dict[str, Any] = {}
        for name in ("feats", "colors", "normals"):
            have = [r[name] is not None for r in rows]
            if any(have) and not all(have):
                missing = [i for i, h in enumerate(have) if not h]
                raise ValueError(
                    f"{source}: {name} present on some clouds but missing on clouds {missing}; "
                    "a batch carries them for all clouds or none"
                )
            if all(have):
                kw[name] = [r[name] for r in rows]
        pts = [np.asarray(r["points"], dtype=np.float32) for r in rows]
        return cls.from_list(pts, kw.pop("feats", None), **kw)

    @classmethod
    def from_open3d(cls, clouds: Any) -> PointBatch:
        """From one Open3D point cloud (legacy ``open3d.geometry.PointCloud`` or tensor
        ``open3d.t.geometry.PointCloud``) or a list of them; colours, normals and the tensor
        attribute ``feats`` are kept. ``ValueError`` when only some clouds carry one of them."""
        from pointrecon.io import convert

        if not isinstance(clouds, (list, tuple)):
            clouds = [clouds]
        rows = [convert.from_open3d(c, f"clouds[{i}]") for i, c in enumerate(clouds)]
        return cls._from_dicts(rows, "from_open3d")

    def to_trimesh(self) -> list[Any]:
        """One ``trimesh.PointCloud`` per sample: colours as its 8-bit RGBA colours (a warning
        when that rounds them), normals and feats in ``metadata["normals"]`` / ``["feats"]``."""
        from pointrecon.io import convert

        return [
            convert.to_trimesh(**d, name=f"sample {b}") for b, d in enumerate(self._per_sample())
        ]

    @classmethod
    def from_trimesh(cls, objs: Any) -> PointBatch:
        """From ``trimesh.PointCloud`` / ``Trimesh`` objects: vertices are the points; colours
        (point-cloud colours, mesh vertex colours), normals (``metadata["normals"]``, mesh vertex
        normals) and ``metadata["feats"]`` are kept."""
        from pointrecon.io import convert

        if not isinstance(objs, (list, tuple)):
            objs = [objs]
        rows = [convert.from_trimesh(o, f"objs[{i}]") for i, o in enumerate(objs)]
        return cls._from_dicts(rows, "from_trimesh")
