"""``pointrecon mesh in.ply out.obj [--method poisson|ball_pivoting|alpha]``: surface
reconstruction of a point cloud (normals estimated and oriented when the file has none).

A mesh given as input is first sampled on its surface (``--samples`` points).
"""

from __future__ import annotations

import argparse
import sys

from pointrecon.errors import DataError, OutputError
from pointrecon.utils.outputs import check_output


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="pointrecon mesh", description=__doc__.splitlines()[0])
    p.add_argument("input", help="point cloud (.ply .pcd .xyz .npy ...) or mesh to resample")
    p.add_argument("output", help="mesh file to write (.obj .ply .off .stl ...)")
    p.add_argument("--method", choices=("poisson", "ball_pivoting", "alpha"), default="poisson")
    p.add_argument("--depth", type=int, default=8, help="Poisson octree depth")
    p.add_argument("--density-quantile", type=float, default=0.05, help="Poisson trimming")
    p.add_argument("--radii", type=float, nargs="+", help="ball-pivoting radii")
    p.add_argument("--alpha", type=float, help="alpha-shape radius")
    p.add_argument("--knn", type=int, default=30, help="neighbours for normal estimation")
    p.add_argument("--samples", type=int, default=20000, help="points sampled on a mesh input")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from pointrecon.io import read_point_cloud, sample_surface, write_mesh
    from pointrecon.viz.files import load_geometry
    from pointrecon.viz.mesh import mesh_from_points

    try:
        check_output(args.output, [args.input], overwrite=args.overwrite, hint="--overwrite")
        geom = load_geometry(args.input)
        normals = None
        if geom.is_mesh:
            import trimesh

            src = trimesh.Trimesh(geom.points, geom.faces, process=False)
            points = sample_surface(src, args.samples, seed=0)
        else:
            cloud = read_point_cloud(args.input, nan_policy="drop")
            points, normals = cloud.points, cloud.normals
        mesh = mesh_from_points(
            points,
            method=args.method,
            normals=normals,
            depth=args.depth,
            density_quantile=args.density_quantile,
            radii=args.radii,
            alpha=args.alpha,
            knn=args.knn,
        )
        write_mesh(args.output, mesh)
    except (DataError, OutputError, ValueError) as exc:
        print(f"pointrecon mesh: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.output}: {len(mesh.vertices)} vertices, {len(mesh.faces)} faces "
        f"({args.method}, from {len(points)} points)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
