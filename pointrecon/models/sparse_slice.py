"""SparseSliceNet: surface completion from the contours of sparse slices, with an RNN over slices.

Shapes:
    partial (B, N, 3) contour points whose slices are planes z = const, lengths (B,) optional
    -> ReconOutput(coarse (B, N (1 + 2S + F), 3), fine (B, N (1 + 2S + F), 3), steps)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from pointrecon.models.inputs import ReconModel
from pointrecon.models.outputs import ReconOutput


def _mlp(sizes: list[int], last_act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if last_act or i < len(sizes) - 2:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class SparseSliceNet(ReconModel):
    """Completes a surface from the contour points of every k-th slice.

    The slices are an ordered sequence along z:

    1. **slices**: points are grouped by their z (to ``slice_tol``); slice t has height z_t;
    2. **PointNet per slice**: a shared MLP gives per-point features, max-pooled per slice into a
       slice code, joined with (z_t, gap);
    3. **RNN over slices**: a GRU or LSTM (bidirectional by option) runs over the slice codes in
       z order, so each slice's state knows the slices above and below;
    4. **decoder between slices**: each contour point p of slice t is paired with its nearest
       contour point q (in the slice plane) on slice t + 1 and on slice t - 1 (a virtual point one
       gap away beyond the first and last slice). For ``points_per_side`` fractions a in (0, 1/2)
       toward each side, a point ``(1 - a) p + a q + delta`` is emitted; the offset ``delta`` comes
       from an MLP on the features of p and q, the RNN states of both slices, q - p and a;
    5. **fill between contours**: each contour point also emits ``fill_points`` points between
       itself and an attention-weighted partner in its own slice (uniform attention, i.e. the
       slice centroid, at the start), moved by an MLP offset; they cover lids and horizontal
       faces that lie between slices, where no contour passes;
    6. the observed contour points are kept in the output; an optional point-sequence ``refiner``
       (e.g. :class:`~pointrecon.models.SequenceRefiner`) can follow, conditioned on the pooled
       RNN state.

    ``coarse`` is the observation plus the interpolated points without offsets.

    Args:
        feat_channels: per-point feature width F.
        slice_channels: slice code width C.
        hidden: RNN hidden size H (per direction).
        cell: ``"gru"`` or ``"lstm"``.
        bidirectional: run the RNN both ways over the slices.
        num_layers: RNN layers.
        points_per_side: S, points emitted toward each neighbouring slice per contour point.
        fill_points: F, points emitted toward the in-slice partner per contour point (0: none).
        offset_hidden: widths of the offset MLP.
        refiner: optional module ``forward(points, code) -> list of steps``; its code has
            ``code_channels`` = H x directions.
        slice_tol: z tolerance that groups points into one slice (input units).

    Shapes:
        partial (B, N, 3), lengths (B,) -> fine (B, N (1 + 2S + F), 3)
    """

    def __init__(
        self,
        feat_channels: int = 64,
        slice_channels: int = 128,
        hidden: int = 128,
        cell: str = "gru",
        bidirectional: bool = True,
        num_layers: int = 1,
        points_per_side: int = 2,
        fill_points: int = 3,
        offset_hidden: tuple[int, ...] = (128, 64),
        refiner: nn.Module | None = None,
        slice_tol: float = 1e-4,
    ) -> None:
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}")
        for name, v in (
            ("feat_channels", feat_channels),
            ("slice_channels", slice_channels),
            ("hidden", hidden),
            ("num_layers", num_layers),
            ("points_per_side", points_per_side),
            ("fill_points", fill_points + 1),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if not slice_tol > 0:
            raise ValueError(f"slice_tol must be > 0, got {slice_tol!r}")
        self.points_per_side = int(points_per_side)
        self.slice_tol = float(slice_tol)
        self.point_mlp = _mlp([3, feat_channels, feat_channels])
        self.slice_mlp = _mlp([feat_channels, slice_channels])
        rnn_cls = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn_cls(
            slice_channels + 2,
            hidden,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
        )
        self.code_channels = hidden * (2 if bidirectional else 1)
        widths = [int(w) for w in offset_hidden]
        if not widths or min(widths) < 1:
            raise ValueError(f"offset_hidden must list positive widths, got {offset_hidden!r}")
        in_pair = 2 * feat_channels + 2 * self.code_channels + 3 + 1
        self.pair_in = nn.Linear(in_pair, widths[0])
        self.frac_in = nn.Linear(1, widths[0], bias=False)
        self.offset_mlp = nn.Sequential(nn.ReLU(inplace=True), _mlp([*widths, 3], last_act=False))
        last = self.offset_mlp[-1][-1]
        nn.init.normal_(last.weight, std=1e-3)
        nn.init.zeros_(last.bias)
        s = self.points_per_side
        self.register_buffer(
            "fractions", (torch.arange(s, dtype=torch.float32) + 0.5) / (2 * s), persistent=False
        )
        # fill points: toward an attention-weighted partner within the slice (initially the
        # slice centroid), for lids and horizontal faces that no slice contour shows
        self.fill_points = int(fill_points)
        if self.fill_points:
            self.att_q = nn.Linear(feat_channels, 32, bias=False)
            self.att_k = nn.Linear(feat_channels, 32, bias=False)
            nn.init.zeros_(self.att_q.weight)
            self.fill_in = nn.Linear(2 * feat_channels + self.code_channels + 3 + 1, widths[0])
            self.fill_mlp = nn.Sequential(nn.ReLU(inplace=True), _mlp([*widths, 3], last_act=False))
            last = self.fill_mlp[-1][-1]
            nn.init.normal_(last.weight, std=1e-3)
            nn.init.zeros_(last.bias)
            self.register_buffer(
                "fill_fractions",
                torch.arange(1, self.fill_points + 1, dtype=torch.float32) / (self.fill_points + 1),
                persistent=False,
            )
        self.refiner = refiner

    @property
    def num_output_points_factor(self) -> int:
        return 1 + 2 * self.points_per_side + self.fill_points

    def _slices(self, z: Tensor, valid: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Slice index per point (B, N), slice heights (B, T), slice mask (B, T), count (B,)."""
        B, N = z.shape
        idx = torch.zeros(B, N, dtype=torch.long, device=z.device)
        heights, counts = [], []
        for b in range(B):
            zq = torch.round(z[b] / self.slice_tol).to(torch.long)
            zq = torch.where(valid[b], zq, zq[valid[b]].min())
            uniq, inv = torch.unique(zq, sorted=True, return_inverse=True)
            idx[b] = inv
            zv, iv = z[b][valid[b]], inv[valid[b]]
            h = torch.zeros(len(uniq), dtype=z.dtype, device=z.device).index_add_(0, iv, zv)
            h = h / torch.bincount(iv, minlength=len(uniq)).clamp_min(1).to(z.dtype)
            heights.append(h)
            counts.append(len(uniq))
        T = max(counts)
        zs = torch.zeros(B, T, dtype=z.dtype, device=z.device)
        mask = torch.zeros(B, T, dtype=torch.bool, device=z.device)
        for b, h in enumerate(heights):
            zs[b, : len(h)] = h
            mask[b, : len(h)] = True
        return idx, zs, mask, torch.as_tensor(counts, device=z.device)

    def _neighbours(
        self, pts: Tensor, sidx: Tensor, valid: Tensor, step: int
    ) -> tuple[Tensor, Tensor]:
        """Nearest point (in x, y) on the slice ``step`` away: index (B, N) and found (B, N)."""
        with torch.no_grad():
            xy = pts[..., :2]
            d = torch.cdist(xy, xy, compute_mode="donot_use_mm_for_euclid_dist")
            ok = (sidx[:, None, :] == sidx[:, :, None] + step) & valid[:, None, :]
            d = d.masked_fill(~ok, float("inf"))
            dist, nn_idx = d.min(dim=2)
        return nn_idx, torch.isfinite(dist)

    def _fill(
        self, pts: Tensor, feats: Tensor, hp: Tensor, sidx: Tensor, valid: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Fill points (B, N F, 3) and their bases, between each point and its in-slice partner."""
        B, N, _ = pts.shape
        same = (sidx[:, :, None] == sidx[:, None, :]) & valid[:, None, :]
        scores = self.att_q(feats) @ self.att_k(feats).transpose(1, 2) / 32**0.5
        att = torch.softmax(scores.masked_fill(~same, float("-inf")), dim=-1)  # (B, N, N)
        partner = att @ pts
        ctx = att @ feats
        b = self.fill_fractions.view(1, 1, -1, 1)
        base = pts[:, :, None] + b * (partner - pts)[:, :, None]  # (B, N, F, 3)
        pre = self.fill_in(
            torch.cat([feats, ctx, hp, partner - pts, torch.ones_like(pts[..., :1])], -1)
        )
        pre = pre[:, :, None] + self.frac_in(self.fill_fractions[:, None])
        delta = self.fill_mlp(pre)
        return (base + delta).reshape(B, -1, 3), base.reshape(B, -1, 3)

    def complete(self, partial: Tensor, lengths: Tensor | None) -> ReconOutput:
        B, N, _ = partial.shape
        ar = torch.arange(N, device=partial.device)
        valid = (
            torch.ones(B, N, dtype=torch.bool, device=partial.device)
            if lengths is None
            else ar[None] < lengths.to(partial.device)[:, None]
        )
        # padded points copy the first point (they then only repeat its outputs)
        pts = torch.where(valid[..., None], partial, partial[:, :1].expand(B, N, 3))
        sidx, zs, smask, count = self._slices(pts[..., 2], valid)
        T = zs.shape[1]
        gaps = torch.where(smask[:, 1:] & smask[:, :-1], zs[:, 1:] - zs[:, :-1], torch.nan)
        gap = (
            torch.nan_to_num(torch.nanmedian(gaps, dim=1).values, nan=0.1)
            if T > 1
            else (torch.full((B,), 0.1, device=pts.device, dtype=pts.dtype))
        )
        # PointNet per slice
        feats = self.point_mlp(pts)  # (B, N, F)
        F = feats.shape[-1]
        pooled = torch.full((B, T, F), float("-inf"), device=pts.device, dtype=feats.dtype)
        pooled = pooled.scatter_reduce(
            1, sidx[..., None].expand(B, N, F), feats, reduce="amax", include_self=True
        )
        pooled = torch.where(torch.isfinite(pooled), pooled, torch.zeros_like(pooled))
        codes = torch.cat(
            [self.slice_mlp(pooled), zs[..., None], gap[:, None, None].expand(B, T, 1)], -1
        )
        # RNN over the slices, in z order
        packed = pack_padded_sequence(codes, count.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        hid, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, H')
        hp = torch.gather(hid, 1, sidx[..., None].expand(B, N, hid.shape[-1]))
        code = hid.masked_fill(~smask[..., None], float("-inf")).amax(dim=1)
        # decoder between slices
        bidx = torch.arange(B, device=pts.device)[:, None]
        sides, bases = [], []
        for step in (1, -1):
            nn_idx, found = self._neighbours(pts, sidx, valid, step)
            virtual = (
                pts
                + step
                * torch.stack([torch.zeros_like(gap), torch.zeros_like(gap), gap], -1)[:, None, :]
            )
            q = torch.where(found[..., None], pts[bidx, nn_idx], virtual)
            fq = feats[bidx, nn_idx] * found[..., None]
            nb_slice = (sidx + step).clamp(0, T - 1)
            hq = torch.gather(hid, 1, nb_slice[..., None].expand(B, N, hid.shape[-1]))
            hq = hq * found[..., None]
            side = torch.full_like(gap[:, None, None].expand(B, N, 1), float(step))
            sides.append(self.pair_in(torch.cat([feats, fq, hp, hq, q - pts, side], -1)))
            a = self.fractions.view(1, 1, -1, 1)
            bases.append(pts[:, :, None] * (1 - a) + q[:, :, None] * a)  # (B, N, S, 3)
        pre = torch.stack(sides, 2)[:, :, :, None] + self.frac_in(self.fractions[:, None])
        delta = self.offset_mlp(pre)  # (B, N, 2, S, 3)
        base = torch.stack(bases, 2)
        generated = [(base + delta).reshape(B, -1, 3)]
        coarse_parts = [pts, base.reshape(B, -1, 3)]
        if self.fill_points:
            fill, fill_base = self._fill(pts, feats, hp, sidx, valid)
            generated.append(fill)
            coarse_parts.append(fill_base)
        coarse = torch.cat(coarse_parts, 1)
        fine = torch.cat([pts, *generated], 1)
        steps: list[Tensor] = []
        if self.refiner is not None:
            steps = list(self.refiner(fine, code))
            if steps:
                fine = steps[-1]
        return ReconOutput(coarse, fine, steps)
