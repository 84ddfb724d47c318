"""eval-meshes: the table against an independent recomputation, ranking renders, bad input."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from pointrecon.data.pairs import make_completion_pair
from pointrecon.data.shapes import make_shape
from pointrecon.errors import DataError
from pointrecon.io import read_mesh
from pointrecon.models import CompletionNet, LocalPointNet
from pointrecon.train.inference import complete_points
from pointrecon.train.mesh_eval import evaluate_meshes, mesh_files, scan_seed

N_IN, N_GT, VIEWS = 128, 1024, 2


def tiny_model() -> CompletionNet:
    torch.manual_seed(0)
    enc = LocalPointNet(point_channels=16, out_channels=32, k=4, hidden=8)
    return CompletionNet(enc, seeds_fc=16, seeds_partial=16, up_factors=[2, 2], hidden=8,
                         window=16, local_k=4, feat_channels=8).eval()  # fmt: skip


def reference_metrics(pred: np.ndarray, gt: np.ndarray, tau: float = 0.01) -> dict[str, float]:
    d_pg = cKDTree(gt).query(pred)[0]
    d_gp = cKDTree(pred).query(gt)[0]
    p, r = (d_pg < tau).mean(), (d_gp < tau).mean()
    return {
        "cd_l1": 0.5 * (d_pg.mean() + d_gp.mean()) * 1e3,
        "cd_l2": ((d_pg**2).mean() + (d_gp**2).mean()) * 1e3,
        "cd_acc": d_pg.mean() * 1e3,
        "cd_comp": d_gp.mean() * 1e3,
        "fscore": 0.0 if p + r == 0 else 2 * p * r / (p + r),
    }


@pytest.fixture(scope="module")
def mesh_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("meshes")
    make_shape("mug", 1).export(d / "mug.ply")
    make_shape("blob", 2).export(d / "sub_blob.obj")
    return d


def test_table_matches_an_independent_recomputation(mesh_dir, tmp_path):
    model = tiny_model()
    files = mesh_files(mesh_dir)
    assert [f.name for f in files] == ["mug.ply", "sub_blob.obj"]
    res = evaluate_meshes(model, files, tmp_path, num_input_points=N_IN, views=VIEWS,
                          n_complete=N_GT, renders=False, progress=False)  # fmt: skip
    tables = res["tables"]
    scans = {}
    for f in files:
        mesh = read_mesh(f)
        per_view = {m: [] for m in ("model", "input")}
        for v in range(VIEWS):
            pair = make_completion_pair(mesh, seed=scan_seed(f.name, 0), view=v,
                                        n_partial=N_IN, n_complete=N_GT)  # fmt: skip
            partial, gt = pair["partial"], pair["complete"]
            per_view["input"].append(reference_metrics(partial, gt))
            pred = complete_points(model, partial, N_IN, 0)
            assert pred.shape == (N_IN + 32 * 4, 3)
            per_view["model"].append(reference_metrics(pred, gt))
            scans[(f.name, v)] = per_view["input"][-1]["cd_l1"], per_view["model"][-1]["fscore"]
        for m, rows in per_view.items():
            for k in ("cd_l1", "cd_l2", "cd_acc", "cd_comp", "fscore"):
                want = np.mean([r[k] for r in rows])
                assert tables[m][f.name][k] == pytest.approx(want, rel=1e-4, abs=1e-6), (m, k)
    for m in tables:  # the mean row is the mean over meshes
        for k in ("cd_l1", "fscore"):
            want = np.mean([tables[m][f.name][k] for f in files])
            assert tables[m]["mean"][k] == pytest.approx(want, rel=1e-9)
    # the densified baselines have the ground truth's size and beat the raw input on F@1%
    assert tables["input_dense"]["mean"]["fscore"] > tables["input"]["mean"]["fscore"]
    with open(tmp_path / "per_scan.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(files) * VIEWS
    for row in rows:
        cd_input, f_model = scans[(row["mesh"], int(row["view"]))]
        assert float(row["input_cd_l1"]) == pytest.approx(cd_input, rel=1e-4)
        assert float(row["model_fscore"]) == pytest.approx(f_model, abs=1e-5)
    assert (tmp_path / "metrics.md").read_text().count("mean") >= 5


def test_renders_best_median_worst(mesh_dir, tmp_path):
    res = evaluate_meshes(tiny_model(), mesh_files(mesh_dir), tmp_path, num_input_points=N_IN,
                          views=1, n_complete=N_GT, progress=False)  # fmt: skip
    ranked = sorted(
        (k for k in res["tables"]["model"] if k != "mean"),
        key=lambda k: res["tables"]["model"][k]["cd_l1"],
    )
    assert res["paths"]["render_best"].name == f"best_{ranked[0]}.png"
    assert res["paths"]["render_worst"].name == f"worst_{ranked[-1]}.png"
    for key in ("render_best", "render_median", "render_worst"):
        assert res["paths"][key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_mesh_names_the_file_and_writes_nothing(mesh_dir, tmp_path):
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "a_good.ply").write_bytes((mesh_dir / "mug.ply").read_bytes())
    (bad / "broken.obj").write_text("v 0 0 0\nv 1 0 0\nf 1 2 9\n")
    out = tmp_path / "out"
    with pytest.raises(DataError, match="broken.obj"):
        evaluate_meshes(tiny_model(), mesh_files(bad), out, num_input_points=N_IN, views=1,
                        n_complete=N_GT, progress=False)  # fmt: skip
    assert not out.exists()


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="no such directory"):
        mesh_files(tmp_path / "missing")
    (tmp_path / "cloud.xyz").write_text("0 0 0\n")
    with pytest.raises(DataError, match="no mesh files"):
        mesh_files(tmp_path)
