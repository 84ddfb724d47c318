"""``pointrecon volume input=<file or DICOM folder> output=surface.ply [level=... label=...
mesh=true render=surface.png slices_png=slices.png complete=true ckpt=...]``.

Reads a CT/MRI volume with its voxel-to-world affine, extracts the marching-cubes surface at
``level`` (or of ``label``) in world millimetres, samples ``num_points`` on it and writes them;
optionally writes the mesh, a headless render and the slices with the contour overlaid. With
``complete=true`` the volume is a sparse-slice acquisition and a sparse-slice model completes
the surface from the contours of its slices.
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from pointrecon.cli._errors import reports_errors
from pointrecon.cli._paths import conf_dir
from pointrecon.errors import ConfigError
from pointrecon.utils.outputs import check_output

_CLOUD_EXTENSIONS = (".ply", ".pcd", ".xyz", ".npy", ".pts", ".txt")


def _opt(cfg: DictConfig, key: str):
    value = cfg.get(key)
    return None if value is None else value


def run_volume(cfg: DictConfig) -> dict[str, Path]:
    """Run the command on a composed config; returns the written paths by kind."""
    from pointrecon.io import read_volume, sample_surface, write_mesh, write_points
    from pointrecon.train.assembly import Assembly
    from pointrecon.volumes import extract_surface

    assembly = Assembly(cfg)  # the allow-list check, before anything is read
    out = Path(str(cfg.output))
    if out.suffix.lower() not in _CLOUD_EXTENSIONS:
        raise ConfigError(
            f"output={cfg.output!s}: unsupported extension {out.suffix!r}; expected a point cloud "
            f"file ({', '.join(_CLOUD_EXTENSIONS)}); mesh=true adds <stem>_mesh.ply"
        )
    targets = {"points": out}
    if cfg.mesh:
        targets["mesh"] = out.with_name(f"{out.stem}_mesh.ply")
    for key in ("render", "slices_png"):
        if cfg.get(key):
            targets[key] = Path(str(cfg[key]))
    for path in targets.values():
        check_output(path, [str(cfg.input)], overwrite=bool(cfg.get("overwrite", False)))
    spacing = _opt(cfg, "spacing")
    volume = read_volume(
        str(cfg.input),
        spacing=None if spacing is None else [float(s) for s in spacing],
        time_index=None if cfg.get("time_index") is None else int(cfg.time_index),
        series_uid=_opt(cfg, "series_uid"),
    )
    print(
        f"read {cfg.input}: {volume.shape} voxels of "
        f"{' x '.join(f'{s:.3g}' for s in volume.spacing)} mm"
    )
    label = None if cfg.get("label") is None else int(cfg.label)
    level = None if cfg.get("level") is None else float(cfg.level)
    if cfg.get("complete"):
        points, mesh = _complete(assembly, volume, cfg, level, label), None
    else:
        mesh = extract_surface(
            volume,
            level,
            label=label,
            largest_component=bool(cfg.largest_component),
            step_size=int(cfg.step_size),
            progress=bool(cfg.progress),
        )
        points = sample_surface(mesh, int(cfg.num_points), seed=int(cfg.seed))
        print(f"surface: {len(mesh.vertices)} vertices, {len(mesh.faces)} faces")
    write_points(targets["points"], points)
    print(f"wrote {len(points)} surface points (world mm): {targets['points'].resolve()}")
    if "mesh" in targets:
        if mesh is None:
            from pointrecon.viz import mesh_from_points

            mesh = mesh_from_points(points, method="poisson")
        write_mesh(targets["mesh"], mesh)
        print(f"mesh ({len(mesh.faces)} faces): {targets['mesh'].resolve()}")
    if "render" in targets:
        from pointrecon.viz import render_png

        render_png(mesh if mesh is not None else points, targets["render"], camera="iso")
        print(f"render: {targets['render'].resolve()}")
    if "slices_png" in targets:
        from pointrecon.viz.slices import render_slices

        render_slices(volume, targets["slices_png"], level=level, label=label)
        print(f"slices: {targets['slices_png'].resolve()}")
    return targets


def _complete(assembly, volume, cfg: DictConfig, level: float | None, label: int | None):
    """Sparse-slice completion of ``volume`` with the checkpoint ``cfg.ckpt``."""
    from pointrecon.train.distributed import resolve_device
    from pointrecon.train.volume_completion import complete_sparse_volume

    if cfg.get("ckpt") is None:
        raise ConfigError("complete=true needs ckpt=<run or checkpoint of a sparse-slice model>")
    device = resolve_device(cfg.trainer.accelerator)
    model, _, train_cfg = assembly.load_model(cfg.ckpt, device)
    n_in = int((train_cfg.get("data", {}) or {}).get("train", {}).get("n_partial", 1024))
    axis = None if cfg.get("slice_axis") is None else int(cfg.slice_axis)
    points = complete_sparse_volume(
        model, volume, n_partial=n_in, level=level, label=label, slice_axis=axis, seed=int(cfg.seed)
    )
    print(f"completed the sparse slices into {len(points)} points")
    return points


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="volume")
@reports_errors("volume")
def _hydra_main(cfg: DictConfig) -> None:
    run_volume(cfg)


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
