import math

import pytest
import torch

from pointrecon.models import SequenceRefiner
from pointrecon.ops import gather_points, serialize


def _ref(**kw):
    torch.manual_seed(0)
    args = dict(hidden=12, feat_channels=8, steps=2, local_k=4, scale=0.2, decay=0.5)
    args.update(kw)
    return SequenceRefiner(6, **args).eval()


def _manual(ref: SequenceRefiner, points, code):
    """The documented algorithm written out: per window loop, explicit scatter, explicit state."""
    B, M, _ = points.shape
    W = ref.window or M
    nw = math.ceil(M / W)
    states = [None] * nw  # per window: tuple of (L*D, B, H) tensors, or None
    outs = []
    for s in range(ref.steps):
        order, _ = ref.order_points(points)
        feats = ref.point_features(points, code)
        delta = torch.zeros_like(points)
        new_states = [[] for _ in range(nw)]  # per window: per sample, the final state tuple
        for b in range(B):
            seq = feats[b, order[b]]
            seq = torch.cat([seq, seq.new_zeros(nw * W - M, seq.shape[1])])
            for w in range(nw):
                st = None
                if states[w] is not None:
                    st = tuple(t[:, b : b + 1].contiguous() for t in states[w])
                    st = st[0] if ref.cell == "gru" else st
                h, new = ref.rnn(seq[None, w * W : (w + 1) * W], st)
                new_states[w].append(new if isinstance(new, tuple) else (new,))
                d = torch.tanh(ref.head(h[0])) * ref.scale * ref.decay**s
                for i in range(W):
                    if w * W + i < M:
                        delta[b, order[b, w * W + i]] = d[i]
        states = [tuple(torch.cat(parts, 1) for parts in zip(*per_b)) for per_b in new_states]
        points = points + delta
        outs.append(points)
    return outs


@pytest.mark.parametrize(
    ("cell", "order", "window", "bidirectional"),
    [("gru", "morton", 8, False), ("lstm", "hilbert", 5, True), ("gru", "none", 0, True)],
)
def test_matches_manual_reference(cell, order, window, bidirectional):
    ref = _ref(cell=cell, order=order, window=window, bidirectional=bidirectional)
    points, code = torch.rand(2, 23, 3), torch.randn(2, 6)
    with torch.no_grad():
        got = ref(points, code)
        expected = _manual(ref, points, code)
    assert len(got) == 2
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_windowed_equals_full_length_when_window_is_n(cell):
    full = _ref(cell=cell, window=0, bidirectional=True, steps=3)
    win = _ref(cell=cell, window=40, bidirectional=True, steps=3)
    win.load_state_dict(full.state_dict())
    points, code = torch.rand(3, 40, 3), torch.randn(3, 6)
    with torch.no_grad():
        for a, b in zip(full(points, code), win(points, code)):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("order", ["morton", "hilbert"])
def test_ordering_is_undone(order):
    """Relabelling the input points relabels the output the same way (un-permutation is right)."""
    ref = _ref(order=order, window=7)
    points, code = torch.rand(2, 50, 3), torch.randn(2, 6)
    perm = torch.randperm(50)
    with torch.no_grad():
        a = ref(points, code)
        b = ref(points[:, perm], code)
    for x, y in zip(a, b):
        torch.testing.assert_close(y, x[:, perm], atol=1e-6, rtol=1e-6)
    o, inv = ref.order_points(points)
    torch.testing.assert_close(gather_points(gather_points(points, o), inv), points)
    torch.testing.assert_close(o, serialize(points, order)[0])


def test_fps_order_is_a_permutation():
    ref = _ref(order="fps")
    o, inv = ref.order_points(torch.rand(2, 30, 3))
    assert torch.equal(o.sort(1).values, torch.arange(30).expand(2, 30))
    assert torch.equal(o.gather(1, inv), torch.arange(30).expand(2, 30))


def test_displacement_bound_shrinks_and_state_carries():
    ref = _ref(steps=3, scale=0.05, decay=0.5)
    points, code = torch.rand(2, 30, 3), torch.randn(2, 6)
    with torch.no_grad():
        steps = ref(points, code)
        prev = points
        for s, p in enumerate(steps):
            assert (p - prev).abs().max() <= 0.05 * 0.5**s + 1e-7
            prev = p
        ref.carry_state = False
        fresh = ref(points, code)
    torch.testing.assert_close(fresh[0], steps[0])
    assert not torch.allclose(fresh[1], steps[1])


def test_gradients_reach_parameters(check_grads):
    ref = SequenceRefiner(6, cell="lstm", hidden=8, feat_channels=8, window=4, steps=2).train()
    points = torch.rand(2, 20, 3)
    sum(s.square().sum() for s in ref(points, torch.randn(2, 6))).backward()
    check_grads(ref)


def test_identity_and_bad_arguments():
    from pointrecon.models import IdentityRefiner

    assert IdentityRefiner()(torch.rand(1, 5, 3), torch.randn(1, 4)) == []
    identity = SequenceRefiner(6, steps=0)
    assert identity(torch.rand(1, 5, 3), torch.randn(1, 6)) == []
    assert list(identity.parameters()) == [] and "steps=0" in repr(identity)
    shown = repr(SequenceRefiner(6, window=16, steps=2, order="hilbert"))
    assert "window=16" in shown and "steps=2" in shown and "order='hilbert'" in shown
    with pytest.raises(ValueError, match="order must be one of"):
        SequenceRefiner(6, order="zorder")
    with pytest.raises(ValueError, match="window must be >= 0, got -1"):
        SequenceRefiner(6, window=-1)
    with pytest.raises(ValueError, match=r"code must have shape \(B, 6\)"):
        _ref()(torch.rand(1, 5, 3), torch.randn(1, 5))


def test_refiner_lowers_chamfer_on_jittered_copy(chamfer):
    """Trained on jittered copies of a flat grid, the refiner denoises a fresh jittered copy
    (removing the off-plane noise alone lowers CD-L1 by about a third)."""
    g = torch.Generator().manual_seed(0)
    u = torch.linspace(-1, 1, 12)
    gu, gv = torch.meshgrid(u, u, indexing="ij")
    target = torch.stack([gu.flatten(), gv.flatten(), torch.zeros(144)], dim=-1)[None]
    torch.manual_seed(0)
    ref = SequenceRefiner(
        8, hidden=32, feat_channels=16, window=32, steps=2, local_k=8, scale=0.15, decay=0.5
    )
    code = torch.zeros(1, 8)
    opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    for _ in range(80):
        noisy = target + 0.06 * torch.randn(target.shape, generator=g)
        loss = sum(chamfer(s, target).mean() for s in ref(noisy, code))
        opt.zero_grad()
        loss.backward()
        opt.step()
    noisy = target + 0.06 * torch.randn(target.shape, generator=g)
    with torch.no_grad():
        before = chamfer(noisy, target).item()
        after = chamfer(ref(noisy, code)[-1], target).item()
    assert after < 0.85 * before, (before, after)


# ------------------------------------------------------------------ local context options
def test_local_conv_is_the_documented_sequence_convolution():
    ref = _ref(local="conv", local_k=4)
    seq = torch.rand(2, 11, 3)
    W, b = ref.local_conv.weight, ref.local_conv.bias  # (f, 3, 5), (f,)
    r = 2
    expected = torch.zeros(2, 11, W.shape[0])
    for i in range(11):
        acc = b.clone().expand(2, -1).clone()
        for j in range(-r, r + 1):
            nb = seq[:, min(max(i + j, 0), 10)]  # ends replicated
            acc = acc + (nb - seq[:, i]) @ W[:, :, j + r].T
        expected[:, i] = torch.relu(ref.local_out(torch.relu(acc)))
    torch.testing.assert_close(ref.sequence_context(seq), expected, atol=1e-5, rtol=1e-5)
    # translation invariant, and blind to points beyond r along the sequence
    torch.testing.assert_close(
        ref.sequence_context(seq + 3.0), ref.sequence_context(seq), atol=1e-4, rtol=1e-4
    )
    moved = seq.clone()
    moved[:, 10] += 1.0
    torch.testing.assert_close(ref.sequence_context(moved)[:, :8], ref.sequence_context(seq)[:, :8])


def test_local_conv_needs_no_neighbour_search(monkeypatch):
    from pointrecon.models import _ops

    def no_search(*a, **k):
        raise AssertionError("local='conv' must not search neighbours")

    monkeypatch.setattr(_ops, "knn_idx", no_search)
    for window in (0, 8):
        ref = _ref(local="conv", window=window).train()
        pts = torch.rand(2, 30, 3, requires_grad=True)
        out = ref(pts, torch.randn(2, 6))
        sum(o.sum() for o in out).backward()
        assert pts.grad is not None and torch.isfinite(pts.grad).all()
        assert ref.local_conv.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("local", ["knn", "knn_once"])
def test_knn_once_searches_once_and_matches_knn_at_step_zero(monkeypatch, local):
    calls = []
    ref = _ref(local=local, steps=3)
    real = ref.neighbours
    monkeypatch.setattr(ref, "neighbours", lambda p: calls.append(1) or real(p))
    pts, code = torch.rand(2, 25, 3), torch.randn(2, 6)
    with torch.no_grad():
        got = ref(pts, code)
        base = _ref(local="knn", steps=3)(pts, code)
    assert len(calls) == (1 if local == "knn_once" else 3)
    torch.testing.assert_close(got[0], base[0])
    if local == "knn":
        torch.testing.assert_close(got[-1], base[-1])


def test_local_option_is_validated_and_keeps_the_old_default():
    with pytest.raises(ValueError, match="local must be one of"):
        SequenceRefiner(6, local="attention")
    assert SequenceRefiner(6).local == "knn"
    names = {n for n, _ in SequenceRefiner(6).named_parameters()}
    assert any(n.startswith("local_mlp") for n in names)
    assert not any(n.startswith("local_conv") for n in names)


def test_embed_sum_adds_the_embeddings_into_a_narrower_input():
    ref = _ref(local="conv", embed="sum")
    assert ref.rnn.input_size == 3 + 8
    pts, code = torch.rand(2, 20, 3), torch.randn(2, 6)
    feats = ref.point_features(pts, code)
    expected = ref.pos_mlp(pts) + ref.code_proj(code)[:, None] + ref.sequence_context(pts)
    torch.testing.assert_close(feats, torch.cat([pts, expected], -1))
    assert _ref(local="knn", embed="sum")(pts, code)[-1].shape == (2, 20, 3)
    with pytest.raises(ValueError, match="embed must be one of"):
        SequenceRefiner(6, embed="mean")
