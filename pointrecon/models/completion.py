"""A partial-preserving, locally conditioned completion model: seeds, then recurrent refinement
steps that move and split points while looking at the observed scan.

Shapes:
    partial (B, N, 3) -> ReconOutput(coarse (B, S_fc, 3), fine (B, N + S r_1 ... r_L, 3),
    steps [(B, S, 3), (B, S r_1, 3), ..., fine])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from pointrecon.models import _ops
from pointrecon.models._layers import SharedMLP
from pointrecon.models.inputs import ReconModel
from pointrecon.models.outputs import ReconOutput
from pointrecon.models.refiners.local_sequence import LocalSequenceRefiner


class CompletionNet(ReconModel):
    """Complete a partial scan into a dense cloud that contains the scan itself.

    1. ``code, F = encoder(P)``: a global code and per-point features of the partial P.
    2. Seeds: ``seeds_fc`` points decoded from the code (for what was not seen) united with
       ``seeds_partial`` farthest-point samples of P (what was seen).
    3. One :class:`LocalSequenceRefiner` step per entry of ``up_factors``: each moves the points
       with a GRU/LSTM over their space-filling-curve order, conditioned on the nearest partial
       points and their features, and splits every point into ``r`` children.
       The first ``steps`` steps are recurrent; the rest (all of them with ``steps=0``, the
       refiner-free ablation) split with a point MLP only.
    4. Output: ``fine = [P, last children]`` when ``keep_partial`` (the observed points are part
       of the result, exactly), else the last children.

    With N = 2048 partial points, 256 + 256 seeds and ``up_factors=[4, 7]`` the output has
    2048 + 512 * 28 = 16384 points.

    Args:
        encoder: forward(points, lengths) -> EncoderOutput with ``point_feats``; has
            ``out_channels`` and ``point_channels``.
        seeds_fc, seeds_partial: seed counts decoded from the code / sampled from the partial.
        up_factors: children per point at each step.
        steps: how many of the steps are recurrent and locally conditioned (from the first).
        hidden, window, order, cell, local_k, feat_channels, embed, local: see
            :class:`LocalSequenceRefiner` (``embed="sum"`` and ``local="linear"`` give a cheaper
            step whose cost depends more on the window; the defaults are the shipped model's).
        move_scales, split_scales: per-step bounds of the moves and of the child offsets.
        keep_partial: put the observed points in the output.
        normalize_input: present the partial to the network in the frame fitted on it (centre
            of its bounding box at the origin, farthest point at radius 1) and map the output
            back, so the model sees one frame whatever frame the data comes in.
        snap_radius: at inference (eval mode), predicted points closer to the partial than
            ``snap_radius`` times the partial's median point spacing are projected onto the
            plane fitted to their ``snap_k`` nearest partial points (:func:`snap_to_surface`),
            so that where the scan saw the surface the output lies on it; 0 turns it off.
        snap_k: partial points per fitted plane.
        snap_depth: when > 0, only points closer to that plane than ``snap_depth`` times the
            spacing are projected (a thin part's far side stays where it was predicted).
        consensus_tau: at inference, when > 0, the scan is also completed after a fixed
            rotation (the model was trained with random rotations, so both runs are equally
            valid guesses); predicted points farther than ``consensus_tau`` (in the frame
            fitted on the partial) from every point of the second completion are disputed,
            and :func:`replace_disputed` puts midpoints between neighbouring scan points in
            their place. This trades completeness for accuracy where the model is unsure.
    """

    def __init__(
        self,
        encoder: nn.Module,
        seeds_fc: int = 256,
        seeds_partial: int = 256,
        up_factors: Sequence[int] = (4, 7),
        steps: int = 2,
        hidden: int = 64,
        window: int = 64,
        order: str = "morton",
        cell: str = "gru",
        local_k: int = 8,
        feat_channels: int = 64,
        move_scales: Sequence[float] = (0.1, 0.05),
        split_scales: Sequence[float] = (0.1, 0.04),
        keep_partial: bool = True,
        normalize_input: bool = True,
        snap_radius: float = 0.0,
        snap_k: int = 8,
        snap_depth: float = 0.0,
        consensus_tau: float = 0.0,
        embed: str = "concat",
        local: str = "mlp",
    ) -> None:
        super().__init__()
        ups = [int(u) for u in up_factors]
        if not ups or min(ups) < 1:
            raise ValueError(f"up_factors must list positive ints, got {list(up_factors)}")
        if len(move_scales) != len(ups) or len(split_scales) != len(ups):
            raise ValueError(
                f"move_scales ({len(move_scales)}) and split_scales ({len(split_scales)}) need "
                f"one entry per up factor ({len(ups)})"
            )
        if not isinstance(steps, int) or not 0 <= steps <= len(ups):
            raise ValueError(f"steps must be an int in [0, {len(ups)}], got {steps!r}")
        if seeds_fc < 1 or seeds_partial < 0:
            raise ValueError(
                f"need seeds_fc >= 1, seeds_partial >= 0, got {seeds_fc}, {seeds_partial}"
            )
        self.encoder = encoder
        self.seeds_fc, self.seeds_partial = int(seeds_fc), int(seeds_partial)
        self.steps, self.keep_partial = steps, bool(keep_partial)
        self.normalize_input = bool(normalize_input)
        if not snap_radius >= 0 or not isinstance(snap_k, int) or snap_k < 3:
            raise ValueError(f"need snap_radius >= 0 and snap_k >= 3, got {snap_radius}, {snap_k}")
        self.snap_radius, self.snap_k = float(snap_radius), snap_k
        self.snap_depth = float(snap_depth)
        if not consensus_tau >= 0:
            raise ValueError(f"consensus_tau must be >= 0, got {consensus_tau}")
        self.consensus_tau = float(consensus_tau)
        code_c = int(encoder.out_channels)
        point_c = int(encoder.point_channels)
        self.seed_mlp = SharedMLP([code_c, 512, 3 * self.seeds_fc], norm="none", last_act=False)
        self.refiners = nn.ModuleList(
            LocalSequenceRefiner(
                code_c, point_c, hidden=hidden, up_factor=u, scale=float(ms),
                split_scale=float(ss), window=window, order=order, cell=cell, local_k=local_k,
                feat_channels=feat_channels, recurrent=i < steps, embed=embed, local=local,
            )
            for i, (u, ms, ss) in enumerate(zip(ups, move_scales, split_scales))
        )  # fmt: skip

    def num_output_points(self, num_partial: int) -> int:
        """Points in ``fine`` for a partial of ``num_partial`` points."""
        n = self.seeds_fc + min(self.seeds_partial, num_partial)
        for r in self.refiners:
            n *= r.up_factor
        return n + (num_partial if self.keep_partial else 0)

    def _seed(
        self, partial: Tensor, lengths: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(coarse seeds, seed points, global code, per-point features) for a normalised
        partial: the decoded seeds plus the farthest-point samples of the partial."""
        B, N, _ = partial.shape
        enc = self.encoder(partial, lengths)
        code, feats = enc.code, enc.point_feats
        coarse = self.seed_mlp(code).reshape(B, self.seeds_fc, 3)
        points = coarse
        if self.seeds_partial:
            idx = _ops.fps(partial, min(self.seeds_partial, N))
            points = torch.cat([coarse, _ops.gather_points(partial, idx)], dim=1)
        return coarse, points, code, feats

    def _refine(
        self, partial: Tensor, lengths: Tensor | None
    ) -> tuple[Tensor, list[Tensor], Tensor]:
        """(coarse seeds, moved points of each step, last children) for a normalised partial."""
        coarse, points, code, feats = self._seed(partial, lengths)
        outputs: list[Tensor] = []
        parent, repeat = None, 1  # parent features, one row per `repeat` points
        for refiner in self.refiners:
            moved, points, parent = refiner.step(points, partial, feats, code, parent, repeat)
            repeat = refiner.up_factor
            outputs.append(moved)
        return coarse, outputs, points

    def complete(self, partial: Tensor, lengths: Tensor | None) -> ReconOutput:
        observed = partial
        if self.normalize_input:
            with torch.no_grad():
                lo, hi = partial.amin(dim=1, keepdim=True), partial.amax(dim=1, keepdim=True)
                center = (lo + hi) / 2
                scale = (partial - center).norm(dim=-1).amax(dim=1)[:, None, None].clamp_min(1e-8)
            partial = (partial - center) / scale
        coarse, outputs, points = self._refine(partial, lengths)
        if not self.training:
            if self.consensus_tau > 0:
                rot = _consensus_rotation(partial)
                second = self._refine(partial @ rot.T, lengths)[2] @ rot
                points = replace_disputed(points, second, partial, self.consensus_tau)
            if self.snap_radius > 0:
                points = snap_to_surface(
                    points, partial, self.snap_radius, self.snap_k, self.snap_depth
                )
        outputs.append(points)
        if self.normalize_input:
            coarse = coarse * scale + center
            outputs = [p * scale + center for p in outputs]
        if self.keep_partial:  # the observed points themselves, not a round trip of them
            outputs[-1] = torch.cat([observed, outputs[-1]], dim=1)
        return ReconOutput(coarse, outputs[-1], outputs)


@torch.no_grad()
def snap_to_surface(
    points: Tensor, partial: Tensor, radius: float = 2.0, k: int = 8, depth: float = 0.0
) -> Tensor:
    """Project the points near the observed partial onto its local surface.

    A point whose nearest partial point is closer than ``radius * h`` (h: the partial's median
    nearest-neighbour spacing, per sample) moves to its orthogonal projection on the plane
    through the centroid of its ``k`` nearest partial points, with the normal of their smallest
    principal axis. Other points are returned unchanged.

    Shapes:
        points (B, M, 3), partial (B, N, 3) -> (B, M, 3)
    """
    B, N, _ = partial.shape
    k = min(int(k), N)
    spacing = _ops.knn_dists(partial, partial, 2)[..., 1].clamp_min(0).sqrt()  # (B, N)
    h = spacing.median(dim=1).values  # (B,)
    idx = _ops.knn_idx(points, partial, k).clamp_min(0)  # (B, M, K)
    nb = _ops.gather_points(partial, idx)  # (B, M, K, 3)
    near = (nb[:, :, 0] - points).norm(dim=-1) < radius * h[:, None]
    centre = nb.mean(dim=2)
    rel = nb - centre[:, :, None]
    cov = rel.transpose(-1, -2) @ rel  # (B, M, 3, 3)
    normal = torch.linalg.eigh(cov.double())[1][..., 0].to(points.dtype)  # smallest axis
    offset = ((points - centre) * normal).sum(-1, keepdim=True)
    if depth > 0:  # leave points well off the local plane alone (e.g. a thin part's far side)
        near &= offset[..., 0].abs() < depth * h[:, None]
    return torch.where(near[..., None], points - offset * normal, points)


def _consensus_rotation(like: Tensor) -> Tensor:
    """The fixed rotation of the consensus run: 120 degrees about (1, 1, 1) / sqrt(3), which
    permutes the axes (x -> y -> z -> x), so no axis keeps its role."""
    return torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).to(like)


@torch.no_grad()
def replace_disputed(
    points: Tensor, other: Tensor, partial: Tensor, tau: float, k: int = 8
) -> Tensor:
    """Replace the points of ``points`` that no point of ``other`` confirms within ``tau``.

    A disputed point i becomes the midpoint between a scan point and one of its ``k`` nearest
    scan points: candidate ``i mod (N k)`` of a fixed shuffle of all N k such midpoints, so
    distinct disputed points get distinct midpoints (for M <= N k).

    Shapes:
        points (B, M, 3), other (B, M', 3), partial (B, N, 3) -> (B, M, 3)
    """
    B, M, _ = points.shape
    N = partial.shape[1]
    k = min(int(k), N - 1)
    if k < 1:
        return points
    disputed = _ops.knn_dists(points, other, 1)[..., 0].clamp_min(0).sqrt() > tau  # (B, M)
    nb = _ops.gather_points(partial, _ops.knn_idx(partial, partial, k + 1)[..., 1:].clamp_min(0))
    mids = (0.5 * (partial[:, :, None] + nb)).reshape(B, N * k, 3)
    order = torch.randperm(N * k, generator=torch.Generator().manual_seed(0)).to(points.device)
    pick = order[torch.arange(M, device=points.device) % (N * k)]
    return torch.where(disputed[..., None], mids[:, pick], points)
