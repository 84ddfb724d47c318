"""LocalSequenceRefiner: local conditioning on the partial and the windowed RNN."""

from __future__ import annotations

import pytest
import torch

from pointrecon.models import CompletionNet, LocalPointNet, LocalSequenceRefiner, _ops


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
        mp.setattr(CompletionNet, "_refine", _refine_repeated)
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
    reference path, values and gradients, for k = 1, 2 (the elementwise maximum) and 3."""
    for k in (1, 2, 3):
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


def _refine_repeated(self, partial, lengths):
    """``CompletionNet._refine`` as it chained the steps before ``step``: each step's child
    features repeated r times (``forward``) and passed whole to the next step."""
    coarse, points, code, feats = self._seed(partial, lengths)
    outputs, parent = [], None
    for refiner in self.refiners:
        moved, points, parent = refiner(points, partial, feats, code, parent)
        outputs.append(moved)
    return coarse, outputs, points


def _close(a, b, tol=1e-6):
    """``|a - b| <= tol`` elementwise, relative to the largest magnitude when it is over 1."""
    scale = max(1.0, b.abs().max().item())
    assert (a - b).abs().max().item() <= tol * scale, (a - b).abs().max().item()


OPTIONS = [
    {"embed": e, "local": loc, "local_k": k}
    for e in ("concat", "sum")
    for loc, k in (("mlp", 3), ("linear", 2), ("linear", 1))
]


def test_step_with_unrepeated_parents_is_forward_with_repeated_parents():
    """``step(parent (B, M / q, H), q)`` gives what ``forward`` gives on the parent rows
    repeated q times, and its ``h`` repeated r times is ``forward``'s child features: values and
    gradients (inputs and parameters), every option, recurrent or not, to 1e-6."""
    for opts in OPTIONS:
        for recurrent in (True, False):
            torch.manual_seed(13)
            r = LocalSequenceRefiner(code_channels=4, point_channels=5, hidden=8, up_factor=3,
                                     window=4, feat_channels=8, recurrent=recurrent, **opts)  # fmt: skip
            pts, partial, feats, code, _ = _inputs(14, M=24)
            parent = torch.randn(2, 6, 8, requires_grad=True)
            ins = [pts, partial, feats, code, parent]
            got = []
            for new in (True, False):
                if new:
                    moved, children, h = r.step(pts, partial, feats, code, parent, 4)
                    child = h.repeat_interleave(3, dim=1)
                else:
                    rep = parent.repeat_interleave(4, dim=1)
                    moved, children, child = r(pts, partial, feats, code, rep)
                loss = moved.square().sum() + children.square().sum() + child.tanh().sum()
                grads = torch.autograd.grad(loss, ins + list(r.parameters()), allow_unused=True)
                got.append([moved, children, child, *grads])
            for a, b in zip(*got):
                if a is None or b is None:
                    assert a is None and b is None
                    continue
                _close(a, b)


def test_step_checks_the_parent_rows():
    r = LocalSequenceRefiner(code_channels=4, point_channels=5, hidden=8, feat_channels=8)
    pts, partial, feats, code, _ = _inputs(15, M=24)
    with pytest.raises(ValueError, match="repeated"):
        r.step(pts, partial, feats, code, torch.randn(2, 5, 8), 4)


def _grads_of(model, x):
    model.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_()
    out = model(x)
    loss = sum(s.square().mean() for s in out.steps) + out.coarse.square().mean()
    loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    return [out.coarse, out.fine, *out.steps], grads, x.grad


def _same_as_repeated_chaining(model, x, exact=False):
    """The model's outputs and gradients, as it runs and as chained before (repeated parents)."""
    new_out, new_g, new_x = _grads_of(model, x)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(CompletionNet, "_refine", _refine_repeated)
        old_out, old_g, old_x = _grads_of(model, x)
    assert new_g.keys() == old_g.keys() and len(new_g) > 0
    for a, b in zip(new_out, old_out):
        assert a.shape == b.shape
        if exact:
            assert torch.equal(a, b)
        _close(a, b)
    for n in new_g:
        _close(new_g[n], old_g[n])
    _close(new_x, old_x)


def _small_completion(**kw) -> CompletionNet:
    torch.manual_seed(0)
    enc = LocalPointNet(point_channels=16, out_channels=32, k=4, hidden=8)
    args = dict(seeds_fc=8, seeds_partial=8, up_factors=[2, 3, 2], steps=2, hidden=8,
                window=8, feat_channels=8, move_scales=[0.1, 0.05, 0.05],
                split_scales=[0.1, 0.04, 0.04])  # fmt: skip
    return CompletionNet(enc, **(args | kw)).train()


@pytest.mark.parametrize("opts", OPTIONS[:1] + OPTIONS[4:5], ids=["default", "sum-linear-k2"])
def test_completion_chains_the_steps_as_with_repeated_parents_small(opts):
    """A small random CompletionNet (two recurrent steps and a point-MLP step): the steps chained
    with unrepeated parent features give the outputs and gradients of the repeated chaining."""
    model = _small_completion(**opts)
    x = torch.rand(2, 40, 3) - 0.5
    _same_as_repeated_chaining(model, x)
    model.eval()
    with torch.no_grad():
        new = model(x)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(CompletionNet, "_refine", _refine_repeated)
            old = model(x)
    for a, b in zip([new.fine, *new.steps], [old.fine, *old.steps]):
        _close(a, b)


def test_completion_chains_the_steps_as_with_repeated_parents_shipped():
    """The shipped model: the same outputs (bit for bit: embed="concat" repeats the parent
    features into the RNN input either way) and gradients; and at the shipped sizes with
    ``embed=sum local=linear local_k=2`` (random step weights) to 1e-6."""
    from pointrecon import pretrained
    from pointrecon.data import SyntheticCompletion, collate_completion

    model = pretrained.load("default").train()
    ds = SyntheticCompletion("test", 1, seed=0, n_partial=2048, n_complete=2048)
    x = collate_completion([ds[0]])["partial"].points
    _same_as_repeated_chaining(model, x, exact=True)
    torch.manual_seed(7)
    model.refiners = torch.nn.ModuleList(
        LocalSequenceRefiner(
            r.code_proj.in_features, r.local_mlp[0].in_features - 3, hidden=r.hidden,
            up_factor=r.up_factor, scale=r.scale, split_scale=r.split_scale, window=r.window,
            order=r.order, local_k=2, feat_channels=r.pos_mlp[0].out_features,
            recurrent=r.recurrent, embed="sum", local="linear",
        )
        for r in model.refiners
    )  # fmt: skip
    _same_as_repeated_chaining(model.train(), x)


def test_gather_max_and_permute_are_the_gather_and_max_they_replace():
    """The two custom ops of the step against ``gather_points`` (+ max): the same values, and
    gradients the same (the permutation: bit for bit; the max of 2: to float rounding)."""
    from pointrecon.models.refiners.local_sequence import _GatherMax2, _Permute

    g = torch.Generator().manual_seed(21)
    x = torch.randn(2, 50, 6, generator=g, requires_grad=True)
    idx = torch.randint(0, 50, (2, 300, 2), generator=g)
    w = torch.randn(2, 300, 6, generator=g)
    new = _GatherMax2.apply(x, idx)
    old = _ops.gather_points(x, idx).max(dim=2).values
    assert torch.equal(new, old)
    torch.testing.assert_close(
        torch.autograd.grad((new * w).sum(), x)[0],
        torch.autograd.grad((old * w).sum(), x)[0],
        rtol=1e-6,
        atol=1e-6,
    )
    order = torch.stack([torch.randperm(50, generator=g) for _ in range(2)])
    inverse = order.argsort(dim=1)
    w = torch.randn(2, 50, 6, generator=g)
    new = _Permute.apply(x, order, inverse)
    old = _ops.gather_points(x, order)
    assert torch.equal(new, old)
    assert torch.equal(
        torch.autograd.grad((new * w).sum(), x)[0], torch.autograd.grad((old * w).sum(), x)[0]
    )
