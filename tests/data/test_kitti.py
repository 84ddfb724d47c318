"""PCN's KITTI cars: box frames, the round trip back to the scan frame, Fidelity/MMD evaluation,
and the errors for broken boxes, on a tree in the real layout written at test time."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from pointrecon.data.box_frame import BoxFrame
from pointrecon.data.kitti import KITTI, load_reference_set
from pointrecon.errors import DataError
from pointrecon.io import read_points, write_points
from pointrecon.train.kitti_eval import evaluate_kitti

L, W, H = 4.0, 1.8, 1.5  # car length, width, height (m)
# (centre of the box's bottom face, yaw) of two cars
CARS = {
    "frame_0000_car_0": ([10.0, -5.0, -1.7], 0.7),
    "frame_0001_car_3": ([-3.0, 8.0, -1.6], -2.5),
}
DELTA = 0.1  # scanned points sit this far above the bottom corners


def local_corners() -> np.ndarray:
    """KITTI tracklet order: bottom face 0-3 (0 -> 3 along the length), then the top face."""
    x = [-L / 2, -L / 2, L / 2, L / 2] * 2
    y = [W / 2, -W / 2, -W / 2, W / 2] * 2
    z = [0.0] * 4 + [H] * 4
    return np.stack([x, y, z], 1)


def to_scan(local: np.ndarray, base: list[float], yaw: float) -> np.ndarray:
    rot = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    return local @ rot.T + np.asarray(base)


def normalised_corners() -> np.ndarray:
    """The corners in the box frame, by hand: centred, / L, then (x, y, z) -> (x, z, y)."""
    c = local_corners() - [0, 0, H / 2]
    return (c / L)[:, [0, 2, 1]]


def build_kitti(root: Path) -> Path:
    for car, (base, yaw) in CARS.items():
        corners = to_scan(local_corners(), base, yaw)
        (root / "bboxes").mkdir(parents=True, exist_ok=True)
        np.savetxt(root / "bboxes" / f"{car}.txt", corners)
        scan = to_scan(local_corners()[:4] + [0, 0, DELTA], base, yaw)
        write_points(root / "cars" / f"{car}.pcd", scan.astype(np.float32))
    (root / "tracklets").mkdir()
    return root


@pytest.fixture()
def kitti_root(tmp_path) -> Path:
    return build_kitti(tmp_path / "KITTI")


def test_known_box_gives_known_transform_and_inverse():
    base, yaw = CARS["frame_0000_car_0"]
    corners = to_scan(local_corners(), base, yaw)
    frame = BoxFrame.from_corners(corners)
    np.testing.assert_allclose(frame.center, np.asarray(base) + [0, 0, H / 2], atol=1e-9)
    assert frame.scale == pytest.approx(L)
    np.testing.assert_allclose(frame.apply(corners), normalised_corners(), atol=1e-6)
    np.testing.assert_allclose(frame.invert(normalised_corners()), corners, atol=1e-5)
    pts = np.random.default_rng(0).normal(size=(50, 3)) * 3 + base
    np.testing.assert_allclose(frame.invert(frame.apply(pts)), pts, atol=1e-5)


def test_items_are_scans_in_their_box_frame(kitti_root):
    ds = KITTI(kitti_root, n_partial=16)
    assert len(ds) == 2 and [ds[i]["id"] for i in range(2)] == sorted(CARS)
    for i in range(2):
        item = ds[i]
        want = normalised_corners()[:4] + [0, DELTA / L, 0]  # up is y in the box frame
        got = item["observed"].numpy()
        assert item["num_points"] == 4 and item["category"] == "car"
        np.testing.assert_allclose(got, want, atol=1e-6)
        # zero padding (PoinTr/GRNet): the 4 points, then 12 origin points
        assert sorted(map(tuple, item["partial"][:4].tolist())) == sorted(map(tuple, got.tolist()))
        assert torch.all(item["partial"][4:] == 0)
    assert torch.all(
        KITTI(kitti_root, n_partial=16, padding="repeat")[0]["partial"].abs().sum(1) > 0
    )


class BoxCorners(nn.Module):
    """A stand-in completion model: always the 8 corners of the unit box frame, by hand."""

    def forward(self, partial, lengths=None, images=None):
        from types import SimpleNamespace

        q = torch.as_tensor(normalised_corners(), dtype=torch.float32)
        return SimpleNamespace(fine=q[None].expand(len(partial), -1, -1))


def test_normalise_complete_invert_round_trip_and_metrics(kitti_root, tmp_path):
    ds = KITTI(kitti_root, n_partial=16)
    reference = np.stack([normalised_corners(), normalised_corners() + 5.0])
    np.save(tmp_path / "ref.npy", reference)
    ref = load_reference_set(tmp_path / "ref.npy", n_points=8)
    result = evaluate_kitti(BoxCorners(), ds, tmp_path / "eval", reference=ref, progress=False)
    for car, (base, yaw) in CARS.items():
        # the completion, written in the scan's frame, is the car's own box
        got = read_points(tmp_path / "eval" / "completions" / f"{car}.pcd")
        np.testing.assert_allclose(got, to_scan(local_corners(), base, yaw), atol=1e-4)
    rows = list(csv.DictReader((tmp_path / "eval" / "per_sample.csv").open()))
    for row in rows:
        # every scanned point is DELTA above its nearest corner: DELTA / L in the box frame
        assert float(row["fidelity"]) == pytest.approx(DELTA / L * 1e3, rel=1e-4)
        assert float(row["mmd"]) == pytest.approx(0.0, abs=1e-6) and row["mmd_ref"] == "0"
    mean = json.loads((tmp_path / "eval" / "metrics.json").read_text())["tables"]["model"]["mean"]
    assert mean["fidelity"] == pytest.approx(DELTA / L * 1e3, rel=1e-4) and mean["n"] == 2
    assert result["tables"]["model"]["mean"]["mmd"] == pytest.approx(0.0, abs=1e-6)
    assert "Fidelity (x1e3)" in (tmp_path / "eval" / "metrics.md").read_text()
    # no reference set: MMD is left out
    res = evaluate_kitti(BoxCorners(), ds, tmp_path / "e2", reference=None, progress=False)
    assert set(res["tables"]["model"]["mean"]) == {"fidelity", "n"}


def test_box_with_wrong_number_of_corners(kitti_root):
    box = kitti_root / "bboxes" / "frame_0001_car_3.txt"
    np.savetxt(box, np.loadtxt(box)[:7])
    with pytest.raises(DataError, match=r"frame_0001_car_3\.txt.*8 corners.*\(7, 3\)"):
        KITTI(kitti_root)
    box.write_text("1 2\n3 4\n")
    with pytest.raises(DataError, match=r"frame_0001_car_3\.txt.*8 corners"):
        KITTI(kitti_root)
    box.write_text("not a number\n")
    with pytest.raises(DataError, match=r"frame_0001_car_3\.txt.*cannot read box"):
        KITTI(kitti_root)


def test_scan_without_a_box(kitti_root):
    (kitti_root / "bboxes" / "frame_0000_car_0.txt").unlink()
    with pytest.raises(DataError, match=r"frame_0000_car_0\.pcd.*without a bounding box"):
        KITTI(kitti_root)


@pytest.mark.parametrize("kind", ["point", "flat", "nan"])
def test_degenerate_box(kitti_root, kind):
    box = kitti_root / "bboxes" / "frame_0000_car_0.txt"
    corners = np.loadtxt(box)
    if kind == "point":
        corners[:] = corners[0]
    elif kind == "flat":
        corners[4:] = corners[:4]  # zero height
    else:
        corners[2, 1] = np.nan
    np.savetxt(box, corners)
    match = "NaN" if kind == "nan" else "degenerate box"
    with pytest.raises(DataError, match=rf"frame_0000_car_0\.txt.*{match}"):
        KITTI(kitti_root)


def test_layout_errors_and_arguments(tmp_path, kitti_root):
    with pytest.raises(DataError, match="missing KITTI folder"):
        KITTI(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="split"):
        KITTI(kitti_root, "train")
    with pytest.raises(ValueError, match="padding"):
        KITTI(kitti_root, padding="edge")
    empty = tmp_path / "empty"
    (empty / "cars").mkdir(parents=True)
    (empty / "bboxes").mkdir()
    with pytest.raises(DataError, match="no KITTI car scans"):
        KITTI(empty)


def test_config_instantiates(kitti_root):
    from omegaconf import OmegaConf

    from pointrecon.cli._paths import conf_dir
    from pointrecon.utils.instantiate import instantiate

    cfg = OmegaConf.create({"paths": {"data_dir": "/nonexistent"}})
    cfg.data = OmegaConf.load(Path(conf_dir()) / "data" / "kitti.yaml")
    cfg.data.root = str(kitti_root)
    ds = instantiate(cfg.data.test)
    assert isinstance(ds, KITTI) and ds.padding == "zeros" and ds.n_partial == 2048
    assert cfg.data.mmd_distance == "cd_l2"
