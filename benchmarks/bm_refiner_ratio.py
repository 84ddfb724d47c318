"""Windowed vs full-length refiner step, timed in interleaved pairs (for machines shared with
other jobs, where load drifts between the cases of a normal benchmark run).

    python benchmarks/bm_refiner_ratio.py [--N 16384 --B 2 --pairs 3 --threads 1] [--out DIR]

For each variant of ``pointrecon/conf/model/refiner/gru.yaml`` (``local``/``embed``, and ``hidden`` where
given: ``--variants conv/sum/64``), one refiner step
forward+backward (train mode, gradients reset untimed) is timed windowed (W=64) and full length
(W=0) alternately, ``--pairs`` times after one warm-up each; the ratio of each pair is taken and
the median of the pair ratios is reported with their range. ``--rnn-alone`` also times the RNN
by itself on fixed features, in pairs the same way: the bound on the step's ratio that cheaper
features alone could reach. Writes ``refiner_ratio.{json,md}``.

``--shipped [NAME]`` times instead the ``LocalSequenceRefiner`` steps of the shipped model NAME
(``pointrecon/pretrained/NAME``, default ``default``; its weights and ``config.yaml`` sizes: hidden,
feat_channels, local_k, the encoder's point_channels and out_channels, each step's up_factor and
scales, window), one row per recurrent step: ``--N`` points go into the step and ``N * up_factor``
children come out, conditioned on a partial of ``--partial`` points with random encoder features
(B, partial, point_channels) and a random code. All inputs require grad, as inside the model
(points and parent features come from the previous step, features and code from the encoder); the
first step gets no parent, the later ones random parent features, one row per parent as
``CompletionNet`` passes them, (B, N / r_prev, hidden) with r_prev the previous step's up factor.
The timed step is ``LocalSequenceRefiner.step``, the whole forward (local kNN features,
serialization, GRU, move, split) and backward of the sum of its outputs (moved points, children
and the per-point features that the children inherit); the baseline is a copy of the same module
with ``window = 0``. ``--repeated-parents`` times instead the step as ``CompletionNet`` ran it
before it passed the parent features unrepeated: ``forward`` with the parent features repeated to
(B, N, hidden) and the child features returned repeated, (B, N r, hidden).
``--breakdown`` also times, in the same pairs, the local features alone and the sequence part
(ordering, gathers, GRU) alone, both forward+backward.
``--set KEY=VALUE ...`` (with ``--shipped``) overrides ``LocalSequenceRefiner`` arguments of
every step, e.g. ``--set embed=sum local=linear local_k=2``: the step is rebuilt at the shipped
sizes with those changes, keeping the shipped weights where they still fit (same parameter
names and shapes, e.g. ``local_k`` or ``window``), else with seeded random weights (the time of
a step does not depend on its weight values).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

VARIANTS = [
    {"local": "knn", "embed": "concat"},
    {"local": "conv", "embed": "concat"},
    {"local": "conv", "embed": "sum"},
    {"local": "conv", "embed": "sum", "hidden": 64},
]


def _parse_variant(spec: str) -> dict:
    """``local/embed[/hidden]``, e.g. ``conv/sum`` or ``conv/sum/64``."""
    parts = spec.split("/")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"variant must be local/embed[/hidden], got {spec!r}")
    v: dict = {"local": parts[0], "embed": parts[1]}
    if len(parts) == 3:
        v["hidden"] = int(parts[2])
    return v


def _step(model, pts, code) -> float:
    model.zero_grad(set_to_none=True)
    t0 = time.perf_counter()
    sum(s.sum() for s in model(pts, code)).backward()
    return time.perf_counter() - t0


def _rnn_input(model, pts, code):
    """The RNN's input for ``pts`` as the step builds it (sequence order), detached, with grad."""
    from pointrecon.models import _ops

    with torch.no_grad():
        order, _ = model.order_points(pts)
        if model.local_conv is not None:
            seq = model.point_features(_ops.gather_points(pts, order), code)
        else:
            seq = _ops.gather_points(model.point_features(pts, code), order)
    return seq.requires_grad_()


def _rnn_step(model, seq) -> float:
    """The RNN alone (forward+backward, input gradient included), as in the step."""
    model.zero_grad(set_to_none=True)
    seq.grad = None
    t0 = time.perf_counter()
    model.run_rnn(seq)[0].sum().backward()
    return time.perf_counter() - t0


def _parse_set(spec: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as YAML (``2`` -> int, ``sum`` -> str, ``true`` -> bool)."""
    import yaml

    key, sep, value = spec.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {spec!r}")
    return key, yaml.safe_load(value)


def refiner_kwargs(refiner) -> dict:
    """The ``LocalSequenceRefiner`` arguments that rebuild ``refiner`` (a recurrent step)."""
    return {
        "code_channels": refiner.code_proj.in_features,
        "point_channels": refiner.local_mlp[0].in_features - 3,
        "hidden": refiner.hidden,
        "up_factor": refiner.up_factor,
        "scale": refiner.scale,
        "split_scale": refiner.split_scale,
        "window": refiner.window,
        "order": refiner.order,
        "cell": "gru" if isinstance(refiner.rnn, torch.nn.GRU) else "lstm",
        "local_k": refiner.local_k,
        "feat_channels": refiner.pos_mlp[0].out_features,
        "embed": refiner.embed,
        "local": refiner.local,
    }


def override_step(step: int, refiner, overrides: dict) -> tuple[torch.nn.Module, bool]:
    """``refiner`` rebuilt with ``overrides`` (train mode) and whether it kept its weights."""
    from pointrecon.models import LocalSequenceRefiner

    torch.manual_seed(step)
    new = LocalSequenceRefiner(**{**refiner_kwargs(refiner), **overrides})
    old, fresh = refiner.state_dict(), new.state_dict()
    fits = old.keys() == fresh.keys() and all(old[k].shape == fresh[k].shape for k in old)
    if fits:
        new.load_state_dict(old)
    return new.train(), fits


def shipped_steps(
    name: str = "default", overrides: dict | None = None
) -> tuple[dict, list[tuple[int, torch.nn.Module]]]:
    """(sizes from the shipped model's ``config.yaml``, [(step index, LocalSequenceRefiner)] of
    its recurrent steps with the shipped weights, in train mode). With ``overrides`` each step
    is rebuilt with them (:func:`override_step`); ``sizes`` then records them and whether the
    shipped weights were kept."""
    from omegaconf import OmegaConf

    from pointrecon import pretrained

    folder = pretrained.path(name)
    cfg = OmegaConf.load(folder / "config.yaml").model
    sizes = {
        "model": name,
        "hidden": int(cfg.hidden),
        "feat_channels": int(cfg.feat_channels),
        "local_k": int(cfg.local_k),
        "window": int(cfg.window),
        "order": str(cfg.order),
        "cell": str(cfg.cell),
        "point_channels": int(cfg.encoder.point_channels),
        "code_channels": int(cfg.encoder.out_channels),
        "up_factors": [int(u) for u in cfg.up_factors],
        "steps": int(cfg.steps),
    }
    model = pretrained.load(name)
    steps = [(i, r.train()) for i, r in enumerate(model.refiners) if r.recurrent]
    if overrides:
        rebuilt = [(i, *override_step(i, r, overrides)) for i, r in steps]
        steps = [(i, r) for i, r, _ in rebuilt]
        sizes["overrides"] = dict(overrides)
        sizes["shipped_weights"] = all(kept for _, _, kept in rebuilt)
    return sizes, steps


def full_length_twin(refiner: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``refiner`` (same weights) that runs its RNN over the whole sequence."""
    twin = copy.deepcopy(refiner)
    twin.window = 0
    return twin


def shipped_inputs(
    step: int,
    refiner,
    B: int,
    N: int,
    n_partial: int,
    code_channels: int,
    parent_repeat: int = 1,
    repeated: bool = False,
):
    """Random inputs of one shipped refiner step, all requiring grad (points and partial in the
    model's normalised frame, [-1, 1]^3): (points, partial, partial_feats, code, parent,
    parent_repeat). ``parent`` is (B, N / parent_repeat, hidden), or None at step 0; with
    ``repeated`` it is repeated to (B, N, hidden) and ``parent_repeat`` is 1 (the old chaining)."""
    from pointrecon.bench.inputs import random_points

    gen = torch.Generator().manual_seed(1000 + step)
    point_c = refiner.local_mlp[0].in_features - 3
    points = 2 * random_points(step, B, N) - 1
    partial = 2 * random_points(100 + step, B, n_partial) - 1
    feats = torch.randn(B, n_partial, point_c, generator=gen)
    code = torch.randn(B, code_channels, generator=gen)
    parent = None
    if step > 0:
        parent = torch.randn(B, N // parent_repeat, refiner.hidden, generator=gen)
        if repeated:
            parent = parent.repeat_interleave(parent_repeat, dim=1)
    q = 1 if repeated or parent is None else parent_repeat
    ins = (points, partial, feats, code, parent)
    return (*(t.requires_grad_() if t is not None else None for t in ins), q)


def _zero(model, inputs) -> None:
    model.zero_grad(set_to_none=True)
    for t in inputs:
        if isinstance(t, torch.Tensor):
            t.grad = None


def _shipped_step(model, inputs) -> float:
    """One step forward (local features, ordering, GRU, move, split) + backward, seconds."""
    _zero(model, inputs)
    t0 = time.perf_counter()
    sum(o.sum() for o in model.step(*inputs)).backward()
    return time.perf_counter() - t0


def _shipped_step_repeated(model, inputs) -> float:
    """The step as chained before: ``forward`` (child features repeated), parents repeated."""
    _zero(model, inputs)
    t0 = time.perf_counter()
    sum(o.sum() for o in model(*inputs[:5])).backward()
    return time.perf_counter() - t0


def _shipped_local(model, inputs) -> float:
    """The step's local kNN features alone, forward + backward."""
    points, partial, feats = inputs[:3]
    _zero(model, inputs)
    t0 = time.perf_counter()
    model.local_features(points, partial, feats).sum().backward()
    return time.perf_counter() - t0


def _shipped_sequence(model, seq_feats, points) -> float:
    """The step's sequence part alone (ordering, gathers, RNN) on fixed features, fwd + bwd."""
    model.zero_grad(set_to_none=True)
    seq_feats.grad = None
    t0 = time.perf_counter()
    model.run_sequence(seq_feats, points).sum().backward()
    return time.perf_counter() - t0


def _sequence_input(model, inputs):
    """The RNN input features of the step, computed once, detached, with grad."""
    with torch.no_grad():
        return model.point_features(*inputs).requires_grad_()


def _pairs(n: int, fn, win, full, *rest) -> tuple[list[float], list[float]]:
    """``fn(win, *rest)`` and ``fn(full, *rest)`` alternately, ``n`` pairs after a warm-up each."""
    fn(win, *rest), fn(full, *rest)
    w, f = [], []
    for _ in range(n):
        w.append(fn(win, *rest))
        f.append(fn(full, *rest))
    return w, f


def _ratio_fields(prefix: str, w: list[float], f: list[float]) -> dict:
    ratios = [b / a for a, b in zip(w, f)]
    return {
        f"{prefix}window_ms": [1e3 * t for t in w],
        f"{prefix}full_ms": [1e3 * t for t in f],
        f"{prefix}ratio_median": statistics.median(ratios),
        f"{prefix}ratio_min": min(ratios),
        f"{prefix}ratio_max": max(ratios),
    }


def run_shipped(args) -> tuple[dict, list[dict]]:
    sizes, steps = shipped_steps(args.shipped, dict(args.set or []))
    rows = []
    for i, win in steps:
        full = full_length_twin(win)
        q = sizes["up_factors"][i - 1] if i > 0 else 1
        ins = shipped_inputs(
            i, win, args.B, args.N, args.partial, sizes["code_channels"], q, args.repeated_parents
        )
        step_fn = _shipped_step_repeated if args.repeated_parents else _shipped_step
        row = {
            "step": i,
            "up_factor": win.up_factor,
            "M_in": args.N,
            "M_out": args.N * win.up_factor,
            "window": win.window,
            "parent": ins[4] is not None,
            "parent_rows": None if ins[4] is None else ins[4].shape[1],
            "repeated_parents": bool(args.repeated_parents),
        }
        row.update(_ratio_fields("", *_pairs(args.pairs, step_fn, win, full, ins)))
        if args.breakdown:
            seq = _sequence_input(win, ins)
            row.update(_ratio_fields("local_", *_pairs(args.pairs, _shipped_local, win, full, ins)))
            row.update(
                _ratio_fields(
                    "seq_", *_pairs(args.pairs, _shipped_sequence, win, full, seq, ins[0])
                )
            )
        rows.append(row)
        print(json.dumps(row), flush=True)
    return sizes, rows


def _weights(sizes: dict) -> str:
    if "overrides" not in sizes:
        return "shipped weights"
    sets = " ".join(f"{k}={v}" for k, v in sizes["overrides"].items())
    kept = "shipped weights" if sizes["shipped_weights"] else "seeded random weights"
    return f"overridden: {sets}, {kept}"


def _chaining(args) -> str:
    if args.repeated_parents:
        return "parent and child features repeated (forward, the chaining before)"
    return "parent and child features unrepeated (step)"


def shipped_report(args, sizes: dict, rows: list[dict]) -> list[str]:
    med = statistics.median
    lines = [
        f"Shipped completion model {sizes['model']!r}: its LocalSequenceRefiner steps "
        f"(hidden {sizes['hidden']}, feat_channels {sizes['feat_channels']}, local_k "
        f"{sizes['local_k']}, point_channels {sizes['point_channels']}, code "
        f"{sizes['code_channels']}, up_factors {sizes['up_factors']}, window {sizes['window']}, "
        f"order {sizes['order']}, cell {sizes['cell']}; {_weights(sizes)}; "
        f"{_chaining(args)}"
        f"), each fed M_in = {args.N} "
        f"points, B={args.B}, partial of {args.partial} points with random encoder features "
        f"(B, {args.partial}, {sizes['point_channels']}) and a random code; every input requires "
        f"grad. Whole step forward+backward (local kNN features, ordering, GRU, move, split), CPU, "
        f"{args.threads} torch thread(s); windowed and full length (the same module copied with "
        f"window=0) timed alternately, {args.pairs} pairs after a warm-up; ratio = full / windowed "
        "per pair.",
        "",
        "| step | up_factor | M in -> out | windowed ms (median, min-max) | full ms (median, min-max) "
        "| ratio median (min-max) |",
        "|---|---|---|---|---|---|",
    ]

    def cell(ms: list[float]) -> str:
        return f"{med(ms):.0f} ({min(ms):.0f}-{max(ms):.0f})"

    for r in rows:
        lines.append(
            f"| {r['step']} | {r['up_factor']} | {r['M_in']} -> {r['M_out']} | "
            f"{cell(r['window_ms'])} | {cell(r['full_ms'])} | {r['ratio_median']:.2f}x "
            f"({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) |"
        )
    if args.breakdown:
        lines += [
            "",
            "Parts of the step, each forward+backward alone, in pairs the same way (local: the "
            "kNN search and local MLP with max; sequence: ordering, gathers and GRU on fixed "
            "features):",
            "",
            "| step | part | windowed ms (median) | full ms (median) | ratio median |",
            "|---|---|---|---|---|",
        ]
        for r in rows:
            for part, pre in (("local features", "local_"), ("sequence", "seq_")):
                lines.append(
                    f"| {r['step']} | {part} | {med(r[pre + 'window_ms']):.0f} | "
                    f"{med(r[pre + 'full_ms']):.0f} | {r[pre + 'ratio_median']:.2f}x |"
                )
    return lines


def main(argv: list[str] | None = None) -> int:
    from pointrecon.bench.inputs import random_points

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--N", type=int, default=16384)
    p.add_argument("--B", type=int, default=2)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="outputs/refiner_ratio")
    p.add_argument(
        "--variants",
        nargs="*",
        type=_parse_variant,
        default=None,
        help="local/embed[/hidden] (hidden: the config's 128 unless given); default: all",
    )
    p.add_argument(
        "--rnn-alone",
        action="store_true",
        help="also time the RNN alone on fixed features (the part of the step W changes)",
    )
    p.add_argument(
        "--shipped",
        nargs="?",
        const="default",
        default=None,
        metavar="NAME",
        help="time the shipped model's LocalSequenceRefiner steps instead (NAME: default)",
    )
    p.add_argument("--partial", type=int, default=2048, help="--shipped: partial points")
    p.add_argument(
        "--breakdown",
        action="store_true",
        help="--shipped: also time the local features and the sequence part alone",
    )
    p.add_argument(
        "--repeated-parents",
        action="store_true",
        help="--shipped: time the step as chained before (parent and child features repeated)",
    )
    p.add_argument(
        "--set",
        nargs="*",
        type=_parse_set,
        default=None,
        metavar="KEY=VALUE",
        help="--shipped: override refiner arguments, e.g. embed=sum local=linear local_k=2",
    )
    args = p.parse_args(argv)
    if args.set and args.shipped is None:
        p.error("--set needs --shipped")
    torch.set_num_threads(args.threads)
    if args.shipped is not None:
        sizes, rows = run_shipped(args)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        meta = {**vars(args), "torch": torch.__version__, "sizes": sizes}
        meta["step"] = "LocalSequenceRefiner forward+backward"
        (out / "refiner_ratio.json").write_text(
            json.dumps({"config": meta, "rows": rows}, indent=2)
        )
        lines = shipped_report(args, sizes, rows)
        (out / "refiner_ratio.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        return 0
    from pointrecon.bench.suites import bm_models

    dev = torch.device("cpu")
    pts = random_points(0, args.B, args.N, dev)
    code = bm_models.random_code(0, args.B, 1024, dev)
    rows = []
    for v in args.variants or VARIANTS:
        models = {
            w: bm_models.build("refiner", "gru", 1024, dev, None, window=w, steps=1, **v).train()
            for w in (64, 0)
        }
        for m in models.values():
            _step(m, pts, code)  # warm-up
        win, full = [], []
        for _ in range(args.pairs):
            win.append(_step(models[64], pts, code))
            full.append(_step(models[0], pts, code))
        ratios = [f / w for w, f in zip(win, full)]
        row = {**v, "window_ms": [1e3 * t for t in win], "full_ms": [1e3 * t for t in full]}
        row.update(
            ratio_median=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios)
        )
        if args.rnn_alone:
            seqs = {w: _rnn_input(m, pts, code) for w, m in models.items()}
            for w, m in models.items():
                _rnn_step(m, seqs[w])  # warm-up
            rw, rf = [], []
            for _ in range(args.pairs):
                rw.append(_rnn_step(models[64], seqs[64]))
                rf.append(_rnn_step(models[0], seqs[0]))
            row.update(
                rnn_window_ms=[1e3 * t for t in rw],
                rnn_full_ms=[1e3 * t for t in rf],
                rnn_ratio_median=statistics.median(f / w for w, f in zip(rw, rf)),
            )
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {**vars(args), "torch": torch.__version__, "step": "forward+backward, steps=1"}
    (out / "refiner_ratio.json").write_text(json.dumps({"config": meta, "rows": rows}, indent=2))
    lines = [
        f"GRU refiner step (pointrecon/conf/model/refiner/gru.yaml, steps=1) forward+backward, B={args.B}, "
        f"N={args.N}, CPU, {args.threads} thread(s); windowed (W=64) and full length timed "
        f"alternately, {args.pairs} pairs after a warm-up; ratio = full / windowed per pair.",
        "",
        "| local | embed | hidden | windowed ms (median) | full ms (median) | ratio median (min-max) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['local']} | {r['embed']} | {r.get('hidden', 128)} | "
            f"{statistics.median(r['window_ms']):.0f} | "
            f"{statistics.median(r['full_ms']):.0f} | {r['ratio_median']:.2f}x "
            f"({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) |"
        )
    if args.rnn_alone:
        lines += [
            "",
            "The RNN alone (same features, fixed; forward+backward with the input gradient):",
            "",
            "| local | embed | hidden | RNN windowed ms | RNN full ms | RNN ratio (median) |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['local']} | {r['embed']} | {r.get('hidden', 128)} | "
                f"{statistics.median(r['rnn_window_ms']):.0f} | "
                f"{statistics.median(r['rnn_full_ms']):.0f} | {r['rnn_ratio_median']:.2f}x |"
            )
    (out / "refiner_ratio.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
