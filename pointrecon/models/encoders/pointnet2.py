"""PointNet++ encoder: a stack of set-abstraction layers (SSG or MSG) and a global layer.

Shapes:
    points: (B, N, 3), lengths: (B,) optional -> code (B, C), point_feats None
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from pointrecon.checks import check_batch
from pointrecon.models.encoders.set_abstraction import SetAbstraction
from pointrecon.models.outputs import EncoderOutput


class PointNet2(nn.Module):
    """PointNet++ (Qi et al. 2017) encoder.

    Each entry of ``layers`` configures one :class:`SetAbstraction`: ``num_centers``, ``radii``,
    ``num_neighbors``, ``mlps`` (one list per radius; several radii = MSG). A last group-all layer
    with ``global_mlp`` widths and a linear projection to ``out_channels`` give the code.
    Only the first layer sees ``lengths``; its centres are all real points.

    Args:
        layers: set-abstraction settings, e.g. ``[{num_centers: 512, radii: [0.2],
            num_neighbors: [32], mlps: [[64, 64, 128]]}, ...]``.
        global_mlp: widths of the group-all MLP.
        out_channels: size C of the code.
        norm: "batch", "layer" or "none".
        backend: "dense" or "pyg" (see :class:`SetAbstraction`).
    """

    def __init__(
        self,
        layers: Sequence[dict[str, Any]],
        global_mlp: Sequence[int] = (256, 512, 1024),
        out_channels: int = 1024,
        norm: str = "batch",
        backend: str = "dense",
    ) -> None:
        super().__init__()
        if not layers:
            raise ValueError("layers must list at least one set-abstraction layer, got []")
        self.out_channels = int(out_channels)
        sa = []
        cin = 0
        for i, layer in enumerate(layers):
            layer = dict(layer)
            unknown = set(layer) - {"num_centers", "radii", "num_neighbors", "mlps"}
            if unknown:
                raise ValueError(f"layers[{i}] has unknown keys {sorted(unknown)}")
            sa.append(SetAbstraction(cin, norm=norm, backend=backend, **layer))
            cin = sa[-1].out_channels
        self.sa = nn.ModuleList(sa)
        self.glob = SetAbstraction(cin, 0, [], [], [list(global_mlp)], norm=norm)
        self.proj = nn.Linear(self.glob.out_channels, self.out_channels)

    def forward(self, points: Tensor, lengths: Tensor | None = None) -> EncoderOutput:
        check_batch("points", points, lengths)
        p, f, ln = points, None, lengths
        for layer in self.sa:
            p, f = layer(p, f, ln)
            ln = None
        _, g = self.glob(p, f)
        return EncoderOutput(self.proj(g[:, 0]), None)
