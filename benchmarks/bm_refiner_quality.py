"""Does the refiner's local context change completion quality? A short CPU training comparison.

    python benchmarks/bm_refiner_quality.py [--iters 300] [--out DIR]

The same small model (PointNet encoder, fully connected decoder of ``M`` points, a windowed GRU
``SequenceRefiner``) is trained with each ``local`` option of the refiner (``knn`` searched every
step, ``knn_once``, ``conv`` along the sequence, ``conv`` with ``embed="sum"``) and without local
context (``local_k=0``), from the same seed, on the same procedural shapes (simulated partial
scans), for the same number of Adam steps; CD-L1 (x 1e3) is then measured on held-out test
shapes, for the refined output and for the decoder's output before refinement.

``--mode joint`` trains everything per variant (the variants then differ in the encoder and
decoder too, and their CD mostly measures that). ``--mode frozen`` (default) isolates the refiner:
encoder and decoder are trained once (``--pretrain`` steps, loss on the decoder output) and
frozen, then each variant trains only its refiner on top, so every variant refines the very same
decoder output. Small sizes: differences of a few percent are within run-to-run noise of one seed.

Variants ``gru`` and ``gru_fast`` are the refiner configs of those names
(``pointrecon/conf/model/refiner/<name>.yaml``: their ``local``, ``embed``, ``hidden``,
``feat_channels``, ``local_k``; window and steps stay this script's small ones); the others take
``--hidden`` and ``--feat``. ``--seeds 0 1 2`` repeats the whole comparison per seed (the seed
draws the shapes and initialises the models; within a seed all variants share data and frozen
base) and adds a table of mean ± std over seeds and of each variant's difference to the first,
paired by seed. Writes ``refiner_quality.{json,md}`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from pointrecon.data import SyntheticCompletion, collate_completion
from pointrecon.metrics import chamfer_l1
from pointrecon.models import Reconstructor, SequenceRefiner
from pointrecon.models.decoders import FCDecoder
from pointrecon.models.encoders import PointNet

VARIANTS = {
    "knn": {"local": "knn"},
    "knn_once": {"local": "knn_once"},
    "conv": {"local": "conv"},
    "none (local_k=0)": {"local_k": 0},
    "conv, embed=sum": {"local": "conv", "embed": "sum"},
}
#: variants named after a refiner config, which fixes their sizes too (keys read from the YAML)
CONFIG_VARIANTS = ("gru", "gru_fast")
CONFIG_KEYS = ("local", "embed", "hidden", "feat_channels", "local_k")


def config_variant(name: str) -> dict:
    """The :data:`CONFIG_KEYS` of ``pointrecon/conf/model/refiner/<name>.yaml`` (defaults merged)."""
    from pointrecon.bench.suites.bm_models import component_config

    node = component_config("refiner", name, 128)
    return {k: node[k] for k in CONFIG_KEYS if k in node}


def build(variant: dict, M: int, seed: int, hidden: int = 32, feat: int = 32) -> Reconstructor:
    torch.manual_seed(seed)
    enc = PointNet(hidden=(32, 64, 128), out_channels=128)
    dec = FCDecoder(128, num_points=M, hidden=(256, 256))
    kw = {"hidden": hidden, "feat_channels": feat, **variant}
    ref = SequenceRefiner(128, window=16, steps=2, **kw)
    return Reconstructor(enc, dec, ref)


def cases(names: list[str] | None, hidden: list[int]) -> list[tuple[str, dict, int]]:
    """(row name, SequenceRefiner kwargs, hidden) per variant; config variants keep their own
    hidden, the others run once per ``hidden``."""
    out = []
    for name in names or list(VARIANTS):
        if name in CONFIG_VARIANTS:
            v = config_variant(name)
            out.append((name, v, int(v.get("hidden", hidden[0]))))
        elif name in VARIANTS:
            for h in hidden:
                out.append((name if len(hidden) == 1 else f"{name}, hidden={h}", VARIANTS[name], h))
        else:
            raise SystemExit(f"unknown variant {name!r}: one of {[*VARIANTS, *CONFIG_VARIANTS]}")
    return out


def summarize(rows: list[dict]) -> list[dict]:
    """Per variant (in first-seen order): mean and std over seeds of the CDs and train time, and
    the difference of the refined CD to the first variant's, paired by seed."""
    names = list(dict.fromkeys(r["variant"] for r in rows))
    by = {(r["variant"], r["seed"]): r for r in rows}
    seeds = list(dict.fromkeys(r["seed"] for r in rows))

    def ms(xs: list[float]) -> tuple[float, float]:
        return statistics.fmean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0

    out = []
    for name in names:
        got = [by[(name, s)] for s in seeds if (name, s) in by]
        row = {"variant": name, "n": len(got)}
        for key in ("cd_l1_x1e3", "cd_l1_decoder_x1e3", "train_s"):
            row[key + "_mean"], row[key + "_std"] = ms([r[key] for r in got])
        diffs = [
            by[(name, s)]["cd_l1_x1e3"] - by[(names[0], s)]["cd_l1_x1e3"]
            for s in seeds
            if (name, s) in by and (names[0], s) in by
        ]
        row["diff_to_first_mean"], row["diff_to_first_std"] = ms(diffs) if diffs else (0.0, 0.0)
        out.append(row)
    return out


def loader(split: str, n: int, args, shuffle: bool, seed: int):
    ds = SyntheticCompletion(split, n, seed=seed, n_partial=args.N, n_complete=args.gt)
    return torch.utils.data.DataLoader(
        ds, batch_size=args.batch, shuffle=shuffle, collate_fn=collate_completion, num_workers=0
    )


def _xy(batch):
    return batch["partial"].points, batch["complete"].points


def evaluate(model: Reconstructor, data) -> dict[str, float]:
    model.eval()
    fine, coarse = [], []
    with torch.no_grad():
        for batch in data:
            x, y = _xy(batch)
            out = model(x)
            fine.append(chamfer_l1(out.fine, y))
            coarse.append(chamfer_l1(out.coarse, y))
    return {
        "cd_l1_x1e3": 1e3 * float(torch.cat(fine).mean()),
        "cd_l1_decoder_x1e3": 1e3 * float(torch.cat(coarse).mean()),
    }


def run_seed(args, seed: int, todo: list[tuple[str, dict, int]]) -> list[dict]:
    """Every case of ``todo`` trained and evaluated with data and initialisation from ``seed``."""
    train = loader("train", args.train, args, True, seed)
    test = loader("test", args.test, args, False, seed)
    train_batches = [b for b in train]  # generated once, shared by every variant
    test_batches = [b for b in test]
    rows = []
    base = None
    if args.mode == "frozen":  # encoder + decoder, trained once on the decoder output
        base = build({"local_k": 0}, args.M, seed)
        opt = torch.optim.Adam(base.parameters(), lr=2e-3)
        base.train()
        for it in range(args.pretrain):
            x, y = _xy(train_batches[it % len(train_batches)])
            loss = chamfer_l1(base.decoder(base.encoder(x).code).coarse, y, reduction="mean")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        base.eval()
    for name, variant, hidden in todo:
        model = build(variant, args.M, seed, hidden, args.feat)
        if base is not None:
            model.encoder.load_state_dict(base.encoder.state_dict())
            model.decoder.load_state_dict(base.decoder.state_dict())
            model.encoder.requires_grad_(False)
            model.decoder.requires_grad_(False)
        params = [q for q in model.parameters() if q.requires_grad]
        opt = torch.optim.Adam(params, lr=2e-3)
        started = time.perf_counter()
        model.train()
        if base is not None:  # frozen BatchNorm statistics too
            model.encoder.eval()
            model.decoder.eval()
        for it in range(args.iters):
            x, y = _xy(train_batches[it % len(train_batches)])
            out = model(x)
            loss = chamfer_l1(out.coarse, y, reduction="mean") if base is None else 0.0
            loss = loss + sum(chamfer_l1(s, y, reduction="mean") for s in out.steps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        row = {"variant": name, "seed": seed, **variant, "hidden": hidden}
        row["train_s"] = time.perf_counter() - started
        row.update(evaluate(model, test_batches))
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=300)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--N", type=int, default=256, help="partial points")
    p.add_argument("--M", type=int, default=1024, help="decoder / refiner points")
    p.add_argument("--gt", type=int, default=1024, help="ground-truth points")
    p.add_argument("--train", type=int, default=128, help="training shapes")
    p.add_argument("--test", type=int, default=32, help="test shapes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--seeds", type=int, nargs="+", default=None, help="several seeds (replaces --seed)"
    )
    p.add_argument("--out", default="outputs/refiner_quality")
    p.add_argument(
        "--variants",
        nargs="*",
        default=None,
        help=f"subset of {[*VARIANTS, *CONFIG_VARIANTS]} (default: {list(VARIANTS)})",
    )
    p.add_argument("--hidden", type=int, nargs="+", default=[32], help="refiner RNN hidden size(s)")
    p.add_argument("--feat", type=int, default=32, help="refiner feat_channels")
    p.add_argument("--mode", choices=["frozen", "joint"], default="frozen")
    p.add_argument("--pretrain", type=int, default=300, help="frozen: encoder+decoder steps")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    todo = cases(args.variants, args.hidden)
    rows = []
    for seed in args.seeds if args.seeds is not None else [args.seed]:
        rows += run_seed(args, seed, todo)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        k: getattr(args, k)
        for k in ("iters", "batch", "N", "M", "gt", "train", "test", "seed", "seeds", "hidden")
    }
    meta.update(feat=args.feat, mode=args.mode, pretrain=args.pretrain, torch=torch.__version__)
    summary = summarize(rows)
    (out / "refiner_quality.json").write_text(
        json.dumps({"config": meta, "rows": rows, "summary": summary}, indent=2)
    )
    seeds = list(dict.fromkeys(r["seed"] for r in rows))
    lines = [
        f"refiner local context vs CD-L1 (x1e3) on {args.test} held-out procedural shapes; "
        f"mode {args.mode}"
        + (
            f" ({args.pretrain} encoder+decoder steps, then frozen)"
            if args.mode == "frozen"
            else ""
        )
        + f"; {args.iters} Adam steps per variant, batch {args.batch}, {args.N} -> {args.M} points, "
        + (f"seeds {seeds}" if len(seeds) > 1 else "one seed")
        + ", CPU (train_s is wall time on a machine shared with other jobs)",
        "",
        "| local context | seed | CD-L1 refined | CD-L1 decoder only | train s |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {r['cd_l1_x1e3']:.2f} | "
            f"{r['cd_l1_decoder_x1e3']:.2f} | {r['train_s']:.0f} |"
        )
    if len(seeds) > 1:
        first = summary[0]["variant"]
        lines += [
            "",
            f"Mean ± std over {len(seeds)} seeds (sample std); the last column is the refined CD "
            f"minus that of {first!r} in the same seed (same data, same frozen base):",
            "",
            f"| local context | n | CD-L1 refined | CD-L1 decoder only | train s | minus {first} |",
            "|---|---|---|---|---|---|",
        ]
        for r in summary:
            lines.append(
                f"| {r['variant']} | {r['n']} | {r['cd_l1_x1e3_mean']:.2f} ± "
                f"{r['cd_l1_x1e3_std']:.2f} | {r['cd_l1_decoder_x1e3_mean']:.2f} ± "
                f"{r['cd_l1_decoder_x1e3_std']:.2f} | {r['train_s_mean']:.0f} | "
                f"{r['diff_to_first_mean']:+.2f} ± {r['diff_to_first_std']:.2f} |"
            )
    (out / "refiner_quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
