"""The entry points end to end: eval outputs, reconstruct's frame handling, multirun + report,
and the allow-list refusal from a real command line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pointrecon.cli.evaluate import run_eval
from pointrecon.cli.reconstruct import run_reconstruct
from pointrecon.cli.sweep_report import main as sweep_report_main
from pointrecon.cli.train import run_train
from pointrecon.io import read_points

SMALL = [
    "data.batch_size=4",
    "data.train.num_samples=8",
    "data.val.num_samples=4",
    "data.test.num_samples=6",
    "trainer.max_epochs=1",
]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, compose, tiny, data_cache) -> Path:
    root = tmp_path_factory.mktemp("cli_run")
    cfg = compose(
        "train",
        [
            *tiny,
            *SMALL,
            f"paths.root_dir={root}",
            f"paths.cache_dir={data_cache}",
            "evaluate_test=true",
        ],
    )
    run_train(cfg, root / "train")
    return root / "train"


def test_train_evaluates_its_best_checkpoint_on_test(trained_run):
    tables = json.loads((trained_run / "test" / "metrics.json").read_text())["tables"]
    assert set(tables) == {"model", "input", "mirror", "input_dense", "mirror_dense"}
    assert tables["model"]["mean"]["n"] == 6


def test_eval_writes_tables_per_sample_rows_and_npz(trained_run, tmp_path, compose):
    cfg = compose("eval", [f"ckpt={trained_run}", "emd=true", "trainer.progress=false"])
    result = run_eval(cfg, tmp_path)
    tables = json.loads((tmp_path / "metrics.json").read_text())["tables"]
    assert set(tables) == {"model", "input", "mirror", "input_dense", "mirror_dense"}
    for method in tables.values():
        assert {"cd_l1", "cd_l2", "fscore", "emd", "n"} <= set(method["mean"])
    rows = list(csv.DictReader((tmp_path / "per_sample.csv").open()))
    assert len(rows) == 6 and {
        "id",
        "category",
        "cd_l1",
        "cd_l2",
        "fscore",
        "emd",
        "input_cd_l1",
        "mirror_cd_l1",
    } <= set(rows[0])
    # the table's per-category means are the means of the per-sample rows
    for cat, vals in result["tables"]["model"].items():
        if cat != "mean":
            mine = [float(r["cd_l1"]) for r in rows if r["category"] == cat]
            assert vals["cd_l1"] == pytest.approx(np.mean(mine), rel=1e-5)
    npz = np.load(tmp_path / "samples" / f"{rows[0]['id']}.npz")
    assert {"partial", "pred", "gt"} <= set(npz.files)
    assert all(npz[k].dtype == np.float32 and npz[k].shape[1] == 3 for k in npz.files)
    md = (tmp_path / "metrics.md").read_text()
    assert "| category | n | model | input | mirror |" in md and "CD-L1 (x1e3)" in md
    assert len(list(csv.DictReader((tmp_path / "metrics.csv").open()))) == len(tables) * len(
        tables["model"]
    )


def test_reconstruct_works_in_the_scans_own_frame(trained_run, tmp_path, compose):
    from pointrecon.io import read_points, write_points

    rng = np.random.default_rng(0)
    scan = rng.normal(size=(300, 3)).astype(np.float32) * [1.0, 0.5, 0.2]
    write_points(tmp_path / "scan.ply", scan)
    scale, offset = 7.5, np.array([100.0, -20.0, 3.0], dtype=np.float32)
    write_points(tmp_path / "moved.ply", scan * scale + offset)
    outs = []
    for name in ("scan", "moved"):
        cfg = compose(
            "reconstruct",
            [
                f"ckpt={trained_run}",
                f"input={tmp_path / name}.ply",
                f"output={tmp_path / name}_out.ply",
            ],
        )
        paths = run_reconstruct(cfg)
        outs.append(read_points(paths["points"]))
    # completion is equivariant to the scan's placement and size
    np.testing.assert_allclose(outs[1], outs[0] * scale + offset, rtol=1e-4, atol=1e-3 * scale)
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temp files left


def test_reconstruct_rejects_unknown_output_extension(trained_run, tmp_path, compose):
    from pointrecon.errors import ConfigError

    cfg = compose(
        "reconstruct", [f"ckpt={trained_run}", "input=a.ply", f"output={tmp_path / 'x.docx'}"]
    )
    with pytest.raises(ConfigError, match=r"x\.docx.*unsupported extension"):
        run_reconstruct(cfg)


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=400
    )


def test_multirun_then_sweep_report_has_one_row_per_run(tmp_path, tiny, data_cache):
    sweep = tmp_path / "multirun"
    res = _cli(
        [
            "pointrecon.cli.train",
            "--multirun",
            *tiny,
            *SMALL,
            f"paths.root_dir={tmp_path}",
            f"paths.cache_dir={data_cache}",
            "optim.lr=0.001,0.003",
            f"hydra.sweep.dir={sweep}",
        ],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert sweep_report_main([str(sweep)]) == 0
    rows = list(csv.DictReader((sweep / "sweep_report.csv").open()))
    assert len(rows) == 2
    assert sorted(r["optim.lr"] for r in rows) == ["0.001", "0.003"]
    assert all(float(r["cd_l1"]) > 0 for r in rows)
    assert (sweep / "sweep_report.png").stat().st_size > 0
    every = (sweep / "sweep_report.md").read_text().split("## Every run")[1]
    assert sum(line.startswith("| ") for line in every.splitlines()) == 1 + 2  # header, 2 runs
    assert (sweep / "sweep_groups.csv").is_file()


def test_sweep_report_on_a_folder_without_runs_fails_clearly(tmp_path, capsys):
    assert sweep_report_main([str(tmp_path)]) == 2
    assert "no run with final_metrics.json" in capsys.readouterr().err


def test_forbidden_target_from_the_command_line_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    res = _cli(
        [
            "pointrecon.cli.main",
            "train",
            "model._target_=os.system",
            f"+model.command=touch {marker}",
            f"paths.root_dir={tmp_path}",
        ],
        tmp_path,
    )
    assert res.returncode != 0
    assert "refused model._target_='os.system'" in res.stderr
    assert not marker.exists()


def test_eval_on_kitti_reports_fidelity_mmd_and_writes_scan_frame_completions(
    trained_run, tmp_path, compose
):
    from pointrecon.data.box_frame import BoxFrame
    from pointrecon.io import write_points

    # two cars: an axis-aligned 4 x 2 x 1.5 m box and the same turned by 90 degrees, moved
    box = np.array([[x, y, z] for z in (0, 1.5) for x, y in ((-2, 1), (-2, -1), (2, -1), (2, 1))])
    root = tmp_path / "KITTI"
    (root / "bboxes").mkdir(parents=True)
    rng = np.random.default_rng(0)
    cars = {"frame_0_car_0": box + [5, 0, -1], "frame_1_car_0": box[:, [1, 0, 2]] + [0, 9, -1]}
    for car, corners in cars.items():
        np.savetxt(root / "bboxes" / f"{car}.txt", corners)
        scan = corners.min(0) + rng.random((300, 3)) * (corners.max(0) - corners.min(0))
        write_points(root / "cars" / f"{car}.pcd", scan.astype(np.float32))
    frame = BoxFrame.from_corners(cars["frame_0_car_0"])
    np.save(tmp_path / "ref.npy", np.stack([frame.apply(cars["frame_0_car_0"])] * 3))
    cfg = compose(
        "eval",
        [
            f"ckpt={trained_run}",
            "data=kitti",
            f"data.root={root}",
            f"data.mmd_reference={tmp_path / 'ref.npy'}",
            "data.mmd_points=8",
            "trainer.progress=false",
        ],
    )
    result = run_eval(cfg, tmp_path / "eval")
    mean = result["tables"]["model"]["mean"]
    assert set(mean) == {"fidelity", "mmd", "n"} and mean["n"] == len(cars)
    assert mean["fidelity"] > 0 and mean["mmd"] > 0
    rows = list(csv.DictReader((tmp_path / "eval" / "per_sample.csv").open()))
    for row in rows:
        scan_frame = read_points(tmp_path / "eval" / "completions" / f"{row['id']}.pcd")
        frame = BoxFrame.from_file(root / "bboxes" / f"{row['id']}.txt")
        assert scan_frame.shape[1] == 3
        # mapped back into the box frame, the completion lies around the unit-length box
        assert np.abs(frame.apply(scan_frame)).max() < 5.0


def test_eval_dcd_column(trained_run, tmp_path, compose):
    cfg = compose("eval", [f"ckpt={trained_run}", "dcd=true", "trainer.progress=false"])
    tables = run_eval(cfg, tmp_path)["tables"]
    for method in tables.values():
        assert 0.0 < method["mean"]["dcd"] <= 1.0
    assert "## DCD (lower is better)" in (tmp_path / "metrics.md").read_text()


def test_reconstruct_las_to_las_keeps_geo_coordinates(trained_run, tmp_path, compose):
    """A geo-referenced LAS completes in its own frame and lands back within 1 mm."""
    laspy = pytest.importorskip("laspy")
    from pointrecon.io import read_point_cloud, read_points, write_points

    rng = np.random.default_rng(1)
    origin = np.array([1_423_216.0, 4_189_098.0, 68.0])  # float32 spacing here: 0.25-0.5 m
    rel = rng.normal(size=(400, 3)) * [1.0, 0.6, 0.3]
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = np.array([1e-4] * 3), origin
    las = laspy.LasData(header)
    las.x, las.y, las.z = (origin + rel).T
    las.write(str(tmp_path / "scan.las"))
    src = read_point_cloud(tmp_path / "scan.las", dtype=np.float64)
    write_points(tmp_path / "local.ply", src.points)  # the same scan, near the origin
    outs = {}
    for name, inp in (("geo.las", "scan.las"), ("local.ply", "local.ply")):
        cfg = compose(
            "reconstruct",
            [
                f"ckpt={trained_run}",
                f"input={tmp_path / inp}",
                f"output={tmp_path / ('o_' + name)}",
            ],
        )
        outs[name] = run_reconstruct(cfg)["points"]
    got = laspy.read(outs["geo.las"])
    assert got.header.scales[0] == 1e-4 and got.header.offsets.tolist() == origin.tolist()
    geo = np.stack([got.x, got.y, got.z], axis=1)
    local = read_points(outs["local.ply"]).astype(np.float64)
    np.testing.assert_allclose(geo, local + src.offset, rtol=0, atol=1e-3)
    # crop and voxel at read time: only the region is completed, still at geo-coordinates
    box = [*(origin - 5), *(origin + [0.0, 5.0, 5.0])]
    cfg = compose(
        "reconstruct",
        [
            f"ckpt={trained_run}",
            f"input={tmp_path / 'scan.las'}",
            f"output={tmp_path / 'half.las'}",
            f"crop=[{','.join(str(float(v)) for v in box)}]",
            "voxel=0.05",
        ],
    )
    half = laspy.read(run_reconstruct(cfg)["points"])
    half_xyz = np.stack([half.x, half.y, half.z], axis=1)
    assert np.abs(half_xyz - origin).max() < 10.0  # at the scan's geo-location, not at 0


def test_eval_on_a_data_config_given_on_the_command_line(
    trained_run, tmp_path, compose, data_cache
):
    """`data=synthetic` interpolates `paths.cache_dir` and `..train.*`: they resolve against the
    eval config, not against a bare data node."""
    cfg = compose(
        "eval",
        [f"ckpt={trained_run}", "data=synthetic", "data.train.scan.n_partial=256",
         "data.train.scan.n_complete=512", "data.test.num_samples=3", "data.num_workers=0",
         f"paths.cache_dir={data_cache}", "trainer.progress=false", "baselines=[input]"],
    )  # fmt: skip
    tables = run_eval(cfg, tmp_path)["tables"]
    assert tables["model"]["mean"]["n"] == 3 and set(tables) == {"model", "input"}
