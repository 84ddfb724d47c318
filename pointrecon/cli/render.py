"""``pointrecon render``: headless PNG renders of files, or a gallery of an evaluation run.

    pointrecon render a.ply b.obj --out DIR [--views iso,front,side] [--turntable]
    pointrecon render --eval-dir RUN_DIR [--out DIR] [--metric cd_l1]

The second form renders the best, median and worst samples per category (input | prediction |
ground truth, prediction coloured by error) and writes DIR/index.html (DIR defaults to
RUN_DIR/gallery). ``POINTRECON_RENDERER=matplotlib`` forces the fallback renderer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pointrecon.errors import DataError, OutputError
from pointrecon.utils.outputs import check_output


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="pointrecon render",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("files", nargs="*", help="point clouds or meshes to render")
    p.add_argument("--out", help="output folder (required with files)")
    p.add_argument("--eval-dir", help="evaluation run folder (per_sample.csv, samples/)")
    p.add_argument("--metric", default="cd_l1", help="column ranking the samples (eval-dir)")
    p.add_argument(
        "--views", default="iso", help="comma-separated cameras: iso,front,side,back,top"
    )
    p.add_argument("--width", type=int, default=None, help="pixels per view")
    p.add_argument("--height", type=int, default=None, help="pixels per view")
    p.add_argument("--point-size", type=float, default=None, help="pixels (default: from size)")
    p.add_argument("--turntable", action="store_true", help="also write a turntable GIF per file")
    p.add_argument("--renderer", choices=("auto", "open3d", "matplotlib"), default=None)
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    args = p.parse_args(argv)
    if bool(args.files) == bool(args.eval_dir):
        p.error("give either files to render or --eval-dir RUN_DIR")
    if args.files and not args.out:
        p.error("--out DIR is required when rendering files")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from tqdm import tqdm

    from pointrecon.viz.files import load_geometry
    from pointrecon.viz.gallery import render_eval_gallery
    from pointrecon.viz.render import render_png, render_turntable, render_views

    try:
        if args.eval_dir:
            page = render_eval_gallery(
                args.eval_dir,
                args.out,
                metric=args.metric,
                width=args.width or 320,
                height=args.height or 320,
                renderer=args.renderer,
            )
            print(f"wrote {page}")
            return 0
        out = Path(args.out)
        views = [v.strip() for v in args.views.split(",") if v.strip()]
        for f in args.files:
            names = [f"{Path(f).stem}.png"] + ([f"{Path(f).stem}.gif"] if args.turntable else [])
            for name in names:
                check_output(out / name, args.files, overwrite=args.overwrite, hint="--overwrite")
        for f in tqdm(args.files, desc="render", unit="file", disable=len(args.files) < 2):
            geom = load_geometry(f)
            target = out / f"{Path(f).stem}.png"
            kw = {"point_size": args.point_size, "renderer": args.renderer}
            if len(views) == 1:
                render_png(
                    geom,
                    target,
                    camera=views[0],
                    width=args.width or 640,
                    height=args.height or 480,
                    **kw,
                )
            else:
                render_views(
                    geom,
                    target,
                    cameras=views,
                    width=args.width or 320,
                    height=args.height or 320,
                    **kw,
                )
            print(f"wrote {target}")
            if args.turntable:
                gif = out / f"{Path(f).stem}.gif"
                render_turntable(
                    geom, gif, width=args.width or 320, height=args.height or 320, **kw
                )
                print(f"wrote {gif}")
    except (DataError, OutputError, ValueError) as exc:
        print(f"pointrecon render: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
