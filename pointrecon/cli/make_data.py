"""``pointrecon make-data``: write a procedural completion data set to disk.

Usage::

    pointrecon make-data out=DIR [train=64] [val=16] [test=16] [seed=0]
        [categories=chair,table,...] [views_per_shape=1] [depth=false] [format=both|ply|npz]
        [points_ext=ply|pcd|las|laz|bin|xyz|npz|npy] [workers=0]
        [<scan setting>=<value> ...]

The scan settings are the fields of :class:`pointrecon.data.scan_spec.ScanSpec` (``n_partial``,
``n_complete``, ``num_views``, ``noise_std``, ``dropout``, ``width``, ``height``, ``fov_deg``,
``distance``, ``elevation_deg``), with its defaults; a range is given as ``low,high``.

Options are ``key=value`` (or ``--key value``). Layout under ``out``::

    manifest.json                                   counts per split and category, parameters, files
    <split>/partial/<category>/<shape id>/<view>.ply   the partial scans (PCN-like layout;
                                                    the extension follows ``points_ext``)
    <split>/complete/<category>/<shape id>.ply        the complete surface samples
    <split>/npz/<category>/<item id>.npz              partial, complete, label, view, normalisation
                                                    [, depth] as float32 arrays

Items are those of :class:`pointrecon.data.SyntheticCompletion` (same splits, seeds and ids), so
a data set written here equals the one generated on the fly. Every file is written atomically.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from pointrecon.data.scan_spec import FIELDS, ScanSpec
from pointrecon.errors import OutputError
from pointrecon.utils.atomic import atomic_path, atomic_write_text
from pointrecon.utils.outputs import check_output


def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pointrecon make-data",
        description="Write a procedural completion data set (PLY/NPZ + manifest.json) to disk.",
    )
    p.add_argument("--out", required=True, type=Path, help="output folder")
    for split, n in (("train", 64), ("val", 16), ("test", 16)):
        p.add_argument(f"--{split}", type=int, default=n, help=f"{split} items (default {n})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--categories", default=None, help="comma-separated subset (default: all)")
    p.add_argument("--views_per_shape", type=int, default=1)
    for name, default in ScanSpec().as_dict().items():  # the scan settings, one flag each
        p.add_argument(
            f"--{name}",
            type=_scan_value(default),
            default=None,
            help=f"scan setting (default {default}; a range as low,high where allowed)",
        )
    p.add_argument("--depth", type=_bool, default=False, help="store depth images in the NPZ")
    p.add_argument("--format", choices=("both", "ply", "npz"), default="both")
    p.add_argument(
        "--points_ext",
        choices=POINT_FILE_EXTS,
        default="ply",
        help="point-file format of partial/ and complete/ (with format=both|ply)",
    )
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--quiet", type=_bool, default=False, help="no progress bar")
    p.add_argument(
        "--overwrite", type=_bool, default=False, help="replace a data set already in out"
    )
    return p


#: point-file formats make-data writes (E57 is read only); LAS/LAZ store 1 micrometre steps
POINT_FILE_EXTS = ("ply", "pcd", "las", "laz", "bin", "xyz", "txt", "pts", "csv", "npz", "npy")
_LAS_META = {"format": "las", "version": "1.2", "point_format": 0, "scales": [1e-6] * 3}


def _scan_value(default: Any):
    """Parser of one scan setting: a number of the default's kind, or ``low,high``."""
    kind = float if isinstance(default, (float, tuple)) else int

    def parse(text: str) -> Any:
        try:
            parts = [kind(t) for t in text.split(",")]
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"expected a number or low,high, got {text!r}") from e
        return parts if len(parts) > 1 else parts[0]

    return parse


def scan_spec(args: argparse.Namespace) -> ScanSpec:
    """The :class:`ScanSpec` of the parsed flags (defaults where a flag is not given)."""
    given = {k: getattr(args, k) for k in FIELDS if getattr(args, k, None) is not None}
    return ScanSpec.create(**given)


def _normalise_argv(argv: list[str]) -> list[str]:
    """Turn Hydra-style ``key=value`` tokens into ``--key=value``."""
    return [a if a.startswith("-") or "=" not in a else f"--{a}" for a in argv]


def make_dataset(args: argparse.Namespace) -> dict[str, Any]:
    """Generate and write the data set described by ``args``; return the manifest."""
    from torch.utils.data import DataLoader
    from tqdm import tqdm

    from pointrecon import __version__
    from pointrecon.data.synthetic import SyntheticCompletion
    from pointrecon.io import write_points

    cats = None if not args.categories else [c.strip() for c in args.categories.split(",") if c]
    kwargs = dict(
        scan=scan_spec(args),
        categories=cats,
        return_depth=args.depth,
        views_per_shape=args.views_per_shape,
    )
    out: Path = args.out
    sets = {
        s: SyntheticCompletion(s, n, args.seed, **kwargs)
        for s in ("train", "val", "test")
        if (n := getattr(args, s)) > 0
    }
    total = sum(len(d) for d in sets.values())
    files: list[dict[str, Any]] = []
    counts: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=total, desc="make-data", unit="pair", disable=args.quiet)
    for split, ds in sets.items():
        per_cat: Counter[str] = Counter()
        loader = DataLoader(_Arrays(ds), batch_size=None, num_workers=args.workers, shuffle=False)
        for index, arrays in enumerate(loader):
            category, sseed, view = ds.shape_key(index)
            shape_id, item_id = f"{category}-{sseed}", ds.item_id(index)
            entry: dict[str, Any] = {
                "split": split,
                "id": item_id,
                "category": category,
                "label": _label(category),
                "view": view,
            }
            partial = np.asarray(arrays["partial"], dtype=np.float32)
            complete = np.asarray(arrays["complete"], dtype=np.float32)
            if args.format in ("both", "ply"):
                ext = getattr(args, "points_ext", "ply")
                meta = _LAS_META if ext in ("las", "laz") else None
                pp = out / split / "partial" / category / shape_id / f"{view:02d}.{ext}"
                cp = out / split / "complete" / category / f"{shape_id}.{ext}"
                write_points(pp, partial, meta=meta)
                if not cp.exists():
                    write_points(cp, complete, meta=meta)
                entry["partial"] = pp.relative_to(out).as_posix()
                entry["complete"] = cp.relative_to(out).as_posix()
            if args.format in ("both", "npz"):
                npz = out / split / "npz" / category / f"{item_id}.npz"
                payload = {
                    "partial": partial,
                    "complete": complete,
                    "label": np.int64(entry["label"]),
                    "view": np.int64(view),
                    "norm_center": np.asarray(arrays["norm_center"], dtype=np.float64),
                    "norm_scale": np.asarray(arrays["norm_scale"], dtype=np.float64),
                }
                if args.depth:
                    payload["depth"] = np.asarray(arrays["depth"], dtype=np.float32)
                with atomic_path(npz) as tmp:
                    np.savez(tmp, **payload)
                entry["npz"] = npz.relative_to(out).as_posix()
            files.append(entry)
            per_cat[category] += 1
            bar.update(1)
        counts[split] = {"count": len(ds), "categories": dict(sorted(per_cat.items()))}
    bar.close()
    skip = ("out", "quiet", "workers", "overwrite")
    params = {k: v for k, v in vars(args).items() if k not in skip and k not in FIELDS}
    params |= scan_spec(args).as_dict()
    manifest = {
        "format_version": 1,
        "generator": "pointrecon.data.SyntheticCompletion",
        "pointrecon_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "parameters": params,
        "splits": counts,
        "num_files": len(files),
        "files": files,
    }
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1, default=str) + "\n")
    return manifest


def _label(category: str) -> int:
    from pointrecon.data.shapes import category_label

    return category_label(category)


class _Arrays:
    """Map-style view of a data set that returns its raw arrays (picklable for workers)."""

    def __init__(self, ds) -> None:
        self.ds = ds

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        return self.ds.load(index)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(_normalise_argv(list(sys.argv[1:] if argv is None else argv)))
    for split in ("train", "val", "test"):
        if getattr(args, split) < 0:
            raise SystemExit(
                f"pointrecon make-data: {split} must be >= 0, got {getattr(args, split)}"
            )
    try:
        check_output(args.out / "manifest.json", overwrite=args.overwrite)
    except OutputError as exc:
        raise SystemExit(f"pointrecon make-data: error: {exc}") from None
    manifest = make_dataset(args)
    summary = ", ".join(f"{s} {c['count']}" for s, c in manifest["splits"].items())
    print(f"wrote {manifest['num_files']} items ({summary}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
