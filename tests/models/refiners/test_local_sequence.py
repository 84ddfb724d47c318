"""LocalSequenceRefiner: local conditioning on the partial and the windowed RNN."""

from __future__ import annotations

import torch

from pointrecon.models import LocalSequenceRefiner


def test_refiner_sees_the_partial_near_each_point():
    """Moving partial points next to a query point changes its move; the same change far from
    every point of the sequence's window changes nothing (local conditioning, k nearest)."""
    torch.manual_seed(1)
    r = LocalSequenceRefiner(code_channels=4, point_channels=5, hidden=8, up_factor=1,
                             window=0, local_k=2, feat_channels=8).eval()  # fmt: skip
    pts = torch.tensor([[[0.0, 0.0, 0.0]]])
    partial = torch.tensor([[[0.1, 0.0, 0.0], [0.0, 0.1, 0.0], [5.0, 5.0, 5.0]]])
    feats, code = torch.rand(1, 3, 5), torch.rand(1, 4)
    base = r(pts, partial, feats, code)[0]
    far = partial.clone()
    far[0, 2] = torch.tensor([6.0, 6.0, 6.0])  # not among the 2 nearest: no effect
    torch.testing.assert_close(r(pts, far, feats, code)[0], base)
    near = partial.clone()
    near[0, 0] = torch.tensor([0.05, 0.05, 0.0])
    assert (r(pts, near, feats, code)[0] - base).abs().max() > 1e-6


def test_windowed_rnn_equals_per_window_runs():
    torch.manual_seed(2)
    r = LocalSequenceRefiner(code_channels=4, point_channels=5, hidden=8, window=4,
                             order="none", local_k=2, feat_channels=8).eval()  # fmt: skip
    feats = torch.rand(1, 10, 35)  # 3 + 2 * 8 + hidden 8 + local 8
    points = torch.rand(1, 10, 3)
    out = r.run_sequence(feats, points)
    pad = torch.cat([feats, feats.new_zeros(1, 2, 35)], dim=1)
    ref = torch.cat([r.rnn(pad[:, i : i + 4])[0] for i in range(0, 12, 4)], dim=1)[:, :10]
    torch.testing.assert_close(out, ref)


def test_local_features_equal_the_mlp_on_gathered_neighbours():
    """The first layer applied per partial point and per point gives the MLP of every gathered
    ``[F_j, P_j - x]`` (up to float rounding), values and gradients."""
    torch.manual_seed(3)
    r = LocalSequenceRefiner(code_channels=4, point_channels=5, hidden=8, local_k=3,
                             feat_channels=8)  # fmt: skip
    pts = torch.rand(2, 40, 3, requires_grad=True)
    partial = torch.rand(2, 17, 3, requires_grad=True)
    feats = torch.randn(2, 17, 5, requires_grad=True)
    grads = []
    for fn in (r.local_features, r.local_features_reference):
        r.zero_grad(set_to_none=True)
        out = fn(pts, partial, feats)
        g = torch.autograd.grad(
            out.square().sum(), [pts, partial, feats, *r.local_mlp.parameters()]
        )
        grads.append((out, *g))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert grads[0][0].shape == (2, 40, 8)


def _inputs(seed: int, B: int = 2, M: int = 30, N: int = 17, C_p: int = 5, C: int = 4, H: int = 8):
    g = torch.Generator().manual_seed(seed)
    pts = torch.rand(B, M, 3, generator=g).requires_grad_()
    partial = torch.rand(B, N, 3, generator=g).requires_grad_()
    feats = torch.randn(B, N, C_p, generator=g).requires_grad_()
    code = torch.randn(B, C, generator=g).requires_grad_()
    parent = torch.randn(B, M, H, generator=g).requires_grad_()
    return pts, partial, feats, code, parent


def _forward_before_options(r, points, partial, partial_feats, code, parent=None):
    """The step as written before ``embed``/``local`` existed (concatenation, two-layer MLP)."""
    B, M, _ = points.shape
    if parent is None:
        parent = points.new_zeros(B, M, r.hidden)
    parts = [points, r.pos_mlp(points), r.code_proj(code)[:, None].expand(B, M, -1)]
    parts.append(parent)
    if r.recurrent:
        parts.append(r.local_features(points, partial, partial_feats))
        h = r.run_sequence(torch.cat(parts, dim=-1), points)
        moved = points + r.scale * torch.tanh(r.move(h))
    else:
        h = r.rnn(torch.cat(parts, dim=-1))
        moved = points
    k = r.up_factor
    offsets = r.split_scale * torch.tanh(r.split(h)).reshape(B, M, k, 3)
    children = (moved[:, :, None] + offsets).reshape(B, M * k, 3)
    child_feats = h[:, :, None].expand(B, M, k, r.hidden).reshape(B, M * k, r.hidden)
    return moved, children, child_feats


def test_default_options_are_the_step_as_before():
    """embed="concat", local="mlp" (the defaults) build the same parameters and compute the same
    step, bit for bit, as the code before the options, recurrent or not, with or without parent."""
    for recurrent in (True, False):
        torch.manual_seed(4)
        a = LocalSequenceRefiner(4, 5, hidden=8, window=8, local_k=3, feat_channels=8,
                                 recurrent=recurrent)  # fmt: skip
        torch.manual_seed(4)
        b = LocalSequenceRefiner(4, 5, hidden=8, window=8, local_k=3, feat_channels=8,
                                 recurrent=recurrent, embed="concat", local="mlp")  # fmt: skip
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
        assert not hasattr(a, "parent_proj")
        pts, partial, feats, code, parent = _inputs(5)
        for par in (None, parent):
            new = a(pts, partial, feats, code, par)
            old = _forward_before_options(a, pts, partial, feats, code, par)
            assert all(torch.equal(x, y) for x, y in zip(new, old))


def test_shipped_model_outputs_are_the_same_as_before_the_options():
    """The shipped model (its config has neither option) completes a scan exactly as with the
    step written before the options existed."""
    import pytest

    from pointrecon import pretrained
    from pointrecon.data import SyntheticCompletion, collate_completion

    model = pretrained.load("default")
    assert all((r.embed, r.local) == ("concat", "mlp") for r in model.refiners)
    ds = SyntheticCompletion("test", 1, seed=0, n_partial=2048, n_complete=2048)
    x = collate_completion([ds[0]])["partial"].points
    with torch.no_grad():
        new = model(x)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LocalSequenceRefiner, "forward", _forward_before_options)
        with torch.no_grad():
            old = model(x)
    for a, b in zip([new.coarse, new.fine, *new.steps], [old.coarse, old.fine, *old.steps]):
        assert torch.equal(a, b)


def test_embed_sum_is_the_sum_of_the_embeddings():
    """embed="sum": ``[x, MLP(x) + W code + W_par parent + local]`` into the RNN (3 + f wide),
    no parent = zero parent; the whole step against that reference, values and gradients."""
    torch.manual_seed(6)
    r = LocalSequenceRefiner(4, 5, hidden=8, up_factor=3, window=8, local_k=3, feat_channels=8,
                             embed="sum")  # fmt: skip
    assert r.rnn.input_size == 3 + 8
    ins = _inputs(7)
    pts, partial, feats, code, parent = ins
    B, M, _ = pts.shape

    def reference(par):
        par = pts.new_zeros(B, M, 8) if par is None else par
        e = (r.pos_mlp(pts) + r.code_proj(code)[:, None].expand(B, M, -1) + r.parent_proj(par)
             + r.local_features_reference(pts, partial, feats))  # fmt: skip
        h = r.run_sequence(torch.cat([pts, e], dim=-1), pts)
        moved = pts + r.scale * torch.tanh(r.move(h))
        off = r.split_scale * torch.tanh(r.split(h)).reshape(B, M, 3, 3)
        return moved, (moved[:, :, None] + off).reshape(B, M * 3, 3)

    for par in (None, parent):
        got = r(pts, partial, feats, code, par)[:2]
        ref = reference(par)
        wrt = [pts, partial, feats, code, *r.parameters()]
        g_got = torch.autograd.grad(sum(o.square().sum() for o in got), wrt, allow_unused=True)
        g_ref = torch.autograd.grad(sum(o.square().sum() for o in ref), wrt, allow_unused=True)
        for a, b in zip([*got, *g_got], [*ref, *g_ref]):
            a = torch.zeros_like(b) if a is None else a  # W_par unused without a parent
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_local_linear_is_one_layer_then_max_then_relu():
    """local="linear": ``ReLU(max_k Linear([F_j, P_j - x]))``, written out naively, against the
    fused path (max over the gathered per-partial rows minus ``W_P x``) and the module's
    reference path, values and gradients, for k = 1 and k = 3."""
    for k in (1, 3):
        torch.manual_seed(8)
        r = LocalSequenceRefiner(4, 5, hidden=8, local_k=k, feat_channels=8, local="linear")
        lin = r.local_mlp[0]
        assert len(r.local_mlp) == 1 and lin.in_features == 5 + 3
        pts, partial, feats, _, _ = _inputs(9)
        idx = torch.cdist(pts, partial).topk(k, dim=-1, largest=False).indices  # (B, M, k)
        b_idx = torch.arange(pts.shape[0])[:, None, None]
        rel = partial[b_idx, idx] - pts[:, :, None]
        naive = torch.relu(lin(torch.cat([feats[b_idx, idx], rel], dim=-1)).max(dim=2).values)
        wrt = [pts, partial, feats, *r.local_mlp.parameters()]
        outs = [naive, r.local_features(pts, partial, feats),
                r.local_features_reference(pts, partial, feats)]  # fmt: skip
        grads = [torch.autograd.grad(o.square().sum(), wrt) for o in outs]
        for o, g in zip(outs[1:], grads[1:]):
            assert o.shape == (2, 30, 8)
            torch.testing.assert_close(o, naive, rtol=1e-5, atol=1e-6)
            for a, b in zip(g, grads[0]):
                torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_every_option_runs_forward_and_backward():
    """Each embed x local choice, recurrent or not, first step or later: output shapes, and
    finite gradients reaching every parameter and every input the step uses."""
    import itertools

    for embed, local, recurrent in itertools.product(("concat", "sum"), ("mlp", "linear"),
                                                     (True, False)):  # fmt: skip
        torch.manual_seed(10)
        r = LocalSequenceRefiner(4, 5, hidden=8, up_factor=2, window=8, local_k=2,
                                 feat_channels=8, recurrent=recurrent, embed=embed,
                                 local=local)  # fmt: skip
        pts, partial, feats, code, parent = _inputs(11)
        for par in (None, parent):
            moved, children, child_feats = r(pts, partial, feats, code, par)
            assert moved.shape == (2, 30, 3) and children.shape == (2, 60, 3)
            assert child_feats.shape == (2, 60, 8)
            r.zero_grad(set_to_none=True)
            for t in (pts, partial, feats, code, parent):
                t.grad = None
            (moved.square().sum() + children.square().sum() + child_feats.square().sum()).backward()
            used = [pts, code] + ([partial, feats] if recurrent else [])
            used += [parent] if par is not None else []
            for t in used:
                assert t.grad is not None and torch.isfinite(t.grad).all()
                assert t.grad.abs().sum() > 0
            for name, p in r.named_parameters():
                if name.startswith("parent_proj.weight") and par is None:
                    assert p.grad is None  # a zero parent: only the bias is used
                    continue
                assert p.grad is not None and torch.isfinite(p.grad).all(), (embed, local, name)
        width = r.rnn.input_size if recurrent else r.rnn[0].in_features
        # sum: [x, f]; concat: [x, pos f, code f, parent H (, local f)]
        assert width == (3 + 8 if embed == "sum" else 3 + 2 * 8 + 8 + (8 if recurrent else 0))


def test_option_names_are_checked():
    import pytest

    with pytest.raises(ValueError, match="embed"):
        LocalSequenceRefiner(4, 5, embed="mean")
    with pytest.raises(ValueError, match="local"):
        LocalSequenceRefiner(4, 5, local="conv")
