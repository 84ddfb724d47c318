"""pointrecon make-data: files, manifest counts, equality with the on-the-fly data set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pointrecon.cli.make_data import main
from pointrecon.data import SyntheticCompletion
from pointrecon.io import read_points


def test_writes_dataset_and_manifest(tmp_path, capsys):
    out = tmp_path / "ds"
    argv = [f"out={out}", "train=6", "val=2", "test=0", "n_partial=32", "n_complete=64"]
    argv += ["categories=chair,mug,car", "depth=true", "width=40", "height=30", "quiet=true"]
    assert main(argv) == 0
    assert "wrote 8 items" in capsys.readouterr().out
    m = json.loads((out / "manifest.json").read_text())
    assert m["splits"]["train"] == {"count": 6, "categories": {"car": 2, "chair": 2, "mug": 2}}
    assert m["splits"]["val"]["count"] == 2 and "test" not in m["splits"]
    assert m["parameters"]["n_partial"] == 32 and m["num_files"] == len(m["files"]) == 8
    ds = SyntheticCompletion(
        "train",
        6,
        0,
        n_partial=32,
        n_complete=64,
        categories=["chair", "mug", "car"],
        return_depth=True,
        width=40,
        height=30,
    )
    for i, entry in enumerate(e for e in m["files"] if e["split"] == "train"):
        item = ds[i]
        assert entry["id"] == item["id"] and entry["label"] == item["label"]
        np.testing.assert_allclose(read_points(out / entry["partial"]), item["partial"].numpy())
        np.testing.assert_allclose(read_points(out / entry["complete"]), item["complete"].numpy())
        with np.load(out / entry["npz"]) as z:
            np.testing.assert_array_equal(z["partial"], item["partial"].numpy())
            np.testing.assert_array_equal(z["depth"], item["depth"].numpy())
            assert int(z["label"]) == item["label"]
    assert not list(out.rglob("*.tmp*"))  # atomic writes left no temporaries


def test_npz_only_and_errors(tmp_path):
    out = tmp_path / "n"
    assert (
        main(
            [
                f"out={out}",
                "train=2",
                "val=0",
                "test=0",
                "n_partial=16",
                "n_complete=32",
                "format=npz",
                "quiet=true",
            ]
        )
        == 0
    )
    assert not list(out.rglob("*.ply")) and len(list(out.rglob("*.npz"))) == 2
    with pytest.raises(SystemExit):
        main([f"out={out}", "train=-1"])
    with pytest.raises(SystemExit):
        main([f"out={out}", "depth=maybe"])


@pytest.mark.parametrize("ext", ["las", "laz", "bin"])
def test_point_files_in_scan_formats_load_back_as_a_folder(tmp_path, ext):
    from pointrecon.data.pointcloud_folder import PointCloudFolder
    from pointrecon.io import read_point_cloud

    out = tmp_path / ext
    argv = [f"out={out}", "train=2", "val=0", "test=0", "n_partial=32", "n_complete=64"]
    assert main([*argv, "format=ply", f"points_ext={ext}", "quiet=true"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    ds = SyntheticCompletion("train", 2, 0, n_partial=32, n_complete=64)
    for i, entry in enumerate(m["files"]):
        assert entry["partial"].endswith(f".{ext}")
        cloud = read_point_cloud(out / entry["partial"], dtype=np.float64)
        atol = 1e-6 if ext != "bin" else 0  # LAS stores 1 micrometre steps
        np.testing.assert_allclose(cloud.world_points(), ds[i]["partial"].numpy(), atol=atol)
    folder = PointCloudFolder(out / "train", n_partial=32, n_complete=64, normalize=False)
    assert len(folder) == 2 and tuple(folder[0]["partial"].shape) == (32, 3)
