"""``pointrecon reconstruct input=scan.ply output=out.ply [ckpt=...] [mesh=true]``.

Without ``ckpt`` the model shipped in the package completes the scan.

Reads a point-cloud file (any format pointrecon.io.read_point_cloud reads; a mesh must be
sampled first, e.g. with pointrecon.io.sample_surface), normalises the scan with its own transform
(bounding-box centre, farthest point at radius 1), completes it with the checkpoint's model,
inverts the transform and writes the completed cloud (and optionally a mesh) atomically.
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from pointrecon.cli._errors import reports_errors
from pointrecon.cli._paths import conf_dir
from pointrecon.errors import ConfigError
from pointrecon.train.inference import complete_points
from pointrecon.utils.outputs import check_output
from pointrecon.utils.scans import require_distinct_points

__all__ = ["complete_points", "run_reconstruct"]


def run_reconstruct(cfg: DictConfig) -> dict[str, Path]:
    """Complete ``cfg.input`` into ``cfg.output``; returns the written paths."""
    from pointrecon.io import OUTPUT_EXTENSIONS, read_scan, write_completion
    from pointrecon.train.assembly import Assembly, num_input_points
    from pointrecon.train.distributed import resolve_device

    assembly = Assembly(cfg)
    out_path = Path(str(cfg.output))
    if out_path.suffix.lower() not in OUTPUT_EXTENSIONS:
        raise ConfigError(
            f"output={cfg.output!s}: unsupported extension {out_path.suffix!r}; expected a point "
            "cloud file such as .ply, .pcd, .xyz, .npy, .las or .laz"
        )
    check_output(out_path, [str(cfg.input)], overwrite=bool(cfg.get("overwrite", False)))
    device = resolve_device(cfg.trainer.accelerator)
    # geo-referenced scans come relative to cloud.offset; the writer adds it back (float64)
    crop, voxel = cfg.get("crop"), cfg.get("voxel")
    cloud = read_scan(
        str(cfg.input),
        nan_policy=str(cfg.nan_policy),
        crop=None if crop is None else list(crop),
        voxel=None if voxel is None else float(voxel),
    )
    points = cloud.points
    require_distinct_points(points, str(cfg.input))
    # a mesh in geo-coordinates is written as OBJ (float64 text); PLY would round to float32
    mesh_ext = ".ply" if cloud.offset is None else ".obj"
    mesh_path = out_path.with_name(f"{out_path.stem}_mesh{mesh_ext}")
    if cfg.mesh:
        check_output(mesh_path, [str(cfg.input)], overwrite=bool(cfg.get("overwrite", False)))
    model, ckpt, train_cfg = assembly.load_model(cfg.ckpt, device)
    n_in = num_input_points(cfg, train_cfg)
    pred = complete_points(model, points, int(n_in), int(cfg.seed), source=str(cfg.input))
    write_completion(out_path, pred, cloud)
    paths = {"points": out_path}
    print(f"completed {len(points)} input points -> {len(pred)} points: {out_path.resolve()}")
    if cfg.mesh:
        from pointrecon.io import write_mesh
        from pointrecon.viz import mesh_from_points

        mesh = mesh_from_points(pred, method=str(cfg.mesh_method))
        if cloud.offset is not None:
            mesh.apply_translation(cloud.offset)
        paths["mesh"] = mesh_path
        write_mesh(paths["mesh"], mesh)
        print(f"mesh ({len(mesh.faces)} faces): {paths['mesh'].resolve()}")
    return paths


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="reconstruct")
@reports_errors("reconstruct")
def _hydra_main(cfg: DictConfig) -> None:
    run_reconstruct(cfg)


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
