"""The built wheel works outside a source checkout.

The package is built into a wheel, installed (without its dependencies, which come from this
interpreter's environment through a ``.pth`` line) into a fresh virtual environment, and run from
an unrelated folder: ``train debug=fast``, ``eval``, ``reconstruct`` and ``bench``. Nothing of the
checkout is on the path there, so the configs and benchmark cases must come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
            f"\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A fresh venv with the wheel installed; returns its python, scripts dir and a clean env."""
    pytest.importorskip("setuptools")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # build from a copy: the checkout gets no build/ or egg-info
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, src / name)
    shutil.copytree(
        REPO / "pointrecon", src / "pointrecon", ignore=shutil.ignore_patterns("__pycache__")
    )
    dist = tmp / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(dist), str(src)],
        tmp,
        dict(os.environ),
    )
    (wheel,) = dist.glob("pointrecon-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pointrecon/conf/train.yaml" in names
    assert "pointrecon/conf/model/pcn.yaml" in names
    assert "pointrecon/bench/suites/bm_ops.py" in names

    venv = tmp / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp, dict(os.environ))
    py = venv / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q"]
        + ["--no-index", str(wheel)],
        tmp,
        dict(os.environ),
    )
    # the dependencies (torch, open3d, hydra, ...) from this environment; its own .pth files
    # (an editable install of pointrecon) are not processed from a path added this way
    purelib = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            tmp,
            {"PATH": os.environ.get("PATH", "")},
        ).strip()
    )
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()}
    (purelib / "zz_deps.pth").write_text("\n".join(sorted(deps)) + "\n")

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "POINTRECON_CONF_DIR", "POINTRECON_ROOT", "VIRTUAL_ENV")
    }
    env |= {"OMP_NUM_THREADS": "1", "POINTRECON_RENDERER": "matplotlib"}
    work = tmp / "elsewhere"
    work.mkdir()
    where = _run([str(py), "-c", "import pointrecon; print(pointrecon.__file__)"], work, env)
    assert Path(where.strip()).is_relative_to(venv), where
    return {"py": py, "bin": venv / "bin", "env": env, "work": work}


def test_wheel_runs_outside_checkout(installed) -> None:
    exe = str(installed["bin"] / "pointrecon")
    work, env = installed["work"], installed["env"]
    small = [
        "experiment=tiny",
        "data.train.num_samples=8",
        "data.val.num_samples=4",
        "data.test.num_samples=4",
        "data.batch_size=4",
        "data.num_workers=0",
        "trainer.tensorboard=false",
    ]
    _run([exe, "train", "debug=fast", "hydra.run.dir=run", *small], work, env)
    assert (work / "run" / "checkpoints" / "best.json").is_file()
    assert (work / ".cache").is_dir()  # paths resolve against the working folder

    _run([exe, "eval", "ckpt=run", "output_dir=ev", "save_samples=0"], work, env)
    assert (work / "ev" / "metrics.json").is_file()

    rng = np.random.default_rng(0)
    np.savetxt(work / "scan.xyz", rng.normal(size=(300, 3)).astype(np.float32))
    _run([exe, "reconstruct", "ckpt=run", "input=scan.xyz", "output=out.ply"], work, env)
    assert (work / "out.ply").stat().st_size > 0
    # no ckpt: the model shipped inside the wheel (pointrecon/pretrained/default)
    out = _run([exe, "reconstruct", "input=scan.xyz", "output=shipped.ply"], work, env)
    assert (work / "shipped.ply").stat().st_size > 0 and "16384 points" in out

    _run(
        [exe, "bench", "bench=ops", "bench/sizes=tiny", "roofline=false", "hydra.run.dir=b"],
        work,
        env,
    )
    assert (work / "b" / "bench.json").is_file()
