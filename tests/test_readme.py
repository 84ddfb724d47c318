"""Every fenced code block of README.md and data/README.md runs.

Blocks are found by parsing the Markdown (no list of blocks is kept here), so a new block is
tested as soon as it is written:

- ``python`` blocks are executed, each in a fresh namespace, in a fresh temporary folder that
  holds the stand-in input files made by :func:`make_standins` (``scan.ply``, ``gt.ply``,
  ``tile.laz`` ...). A block must define every name it uses.
- ``bash`` / ``sh`` / ``shell`` / ``console`` blocks run line by line (``\\`` continuations
  joined, comments dropped) in one temporary folder per block, with the same stand-ins, through
  bash, where ``pointrecon`` and ``python`` are this checkout's CLI and interpreter. The command
  as written is what runs; the only changes are (1) the placeholders of :data:`PLACEHOLDERS`
  replaced by paths that exist, and (2) the size-shrinking overrides of :data:`SHRINK`, appended
  to the commands they match, each with the reason. A command that fails fails the test.
- ``text`` blocks (folder layouts, tables) are not code; every other block must say what it is,
  so that no code hides in an unlabelled block.

A block that cannot run here carries ``<!-- skip-test: KEY: reason -->`` on the line before it;
the key must be one of :data:`REVIEWED_SKIPS`, and the test reports the reason when it skips.
Blocks whose commands take long even shrunk are marked slow through :data:`SLOW`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "data/README.md")
SHELL = {"bash", "sh", "shell", "console"}
PYTHON = {"python", "py"}
TEXT = {"text"}

# Blocks the test does not run, keyed by the `<!-- skip-test: KEY: reason -->` marker before the
# block. Adding a key here is a review decision: only what cannot run in CI.
REVIEWED_SKIPS = {
    "setup": "make demo / make test install system packages and a virtual environment",
    "ddp": "torchrun starts several training processes (DDP is covered by tests/train)",
    "cuda": "needs a CUDA device",
    "window": "opens an interactive window that waits for the user",
}

# Commands that need a program that may be missing: the block is skipped, with the reason,
# when it is not on PATH.
REQUIRES = {"xvfb-run": "xvfb-run is not installed (Debian/Ubuntu: apt-get install xvfb)"}

# Stand-in training sizes: one epoch of two small batches and a coarse-to-fine decoder of 64 x 16
# points, so that a README training command runs in seconds instead of hours.
_SMALL_DATA = [
    "debug=fast",  # one epoch, two training batches, one validation batch
    "trainer.max_epochs=1",  # README lines may set more epochs; debug=fast's 1 is overridden
    "data.batch_size=2",
    "data.train.num_samples=4",
    "data.val.num_samples=2",
    "data.test.num_samples=2",
    "trainer.tensorboard=false",
]
_SMALL_TRAIN = [*_SMALL_DATA, "data.train.scan.n_partial=256", "data.train.scan.n_complete=1024"]
_SMALL_C2F = ["model.decoder.num_coarse=64"]  # 64 x 16 = 1024 output points instead of 16384

# (regex on the command as written, overrides appended, why): the first match applies.
SHRINK: list[tuple[str, list[str], str]] = [
    (
        r"^pointrecon train .*experiment=refiner_ablation",
        [*_SMALL_TRAIN, *_SMALL_C2F],
        "nine runs of 50 epochs -> nine runs of two batches",
    ),
    (
        r"^pointrecon train .*experiment=optuna_demo",
        ["hydra.sweeper.n_trials=2", *_SMALL_TRAIN],
        "20 trials of the demo -> 2 trials of two batches",
    ),
    (
        r"^pointrecon train .*sweep=seeds",
        _SMALL_TRAIN,
        "six demo trainings -> six trainings of two batches",
    ),
    (
        r"^pointrecon train .*experiment=sparse_slices",
        _SMALL_DATA,
        "512 volumes, 40 epochs -> two batches of one epoch",
    ),
    (
        r"^pointrecon train .*data=pointcloud_folder",
        ["data.batch_size=2", "trainer.tensorboard=false", *_SMALL_C2F],
        "16384 output points -> 1024 (the line already has debug=fast)",
    ),
    (
        r"^pointrecon train (?!.*experiment=)",
        [*_SMALL_TRAIN, *_SMALL_C2F],
        "a full training -> one epoch of two batches",
    ),
    (r"^pointrecon eval ", ["max_batches=1"], "the whole test split -> one batch"),
    (r"^pointrecon eval-meshes ", ["views=1", "n_complete=2048"], "3 scans -> 1, smaller truth"),
    (r"^pointrecon bench(?! compare)", ["bench/sizes=tiny"], "the device's sizes -> tiny ones"),
    (
        r"^python -m pointrecon.cli.sparse_slice_eval ",
        ["--num-samples", "2"],
        "the whole test split -> two volumes",
    ),
]

# Blocks with a command matching one of these take more than ~30 s even shrunk.
SLOW = [
    r"resume=true",  # a training, two resumed trainings, three evaluations (50-70 s)
    r"experiment=optuna_demo",  # two 2-trial studies, one through joblib processes (about 35 s)
]


# ------------------------------------------------------------------------------ parsing
@dataclass
class Block:
    doc: str
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: tuple[str, str] | None  # (key, reason) from a skip-test marker

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}:{self.lang or 'unlabelled'}"


FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*$")
SKIP_MARK = re.compile(r"<!--\s*skip-test:\s*([\w-]+)\s*:\s*(.+?)\s*-->")


def parse_blocks(text: str, doc: str) -> list[Block]:
    """The fenced blocks of a Markdown text, with the skip marker of the line before each."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        if j == len(lines):
            raise AssertionError(f"{doc}:{i + 1}: unclosed code fence")
        body = [ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[i + 1 : j]]
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        mark = SKIP_MARK.search(lines[k]) if k >= 0 else None
        skip = (mark.group(1), mark.group(2)) if mark else None
        blocks.append(Block(doc, i + 1, lang.lower(), "\n".join(body) + "\n", skip))
        i = j + 1
    return blocks


def all_blocks() -> list[Block]:
    return [b for doc in DOCS for b in parse_blocks((REPO / doc).read_text(encoding="utf-8"), doc)]


def shell_commands(code: str) -> list[str]:
    """Command lines of a shell block: continuations joined, comments and prompts dropped."""
    joined = re.sub(r"\\\n\s*", " ", code)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("$ "):
            line = line[2:]
        words = shlex.split(line, comments=True)
        if words:
            out.append(shlex.join(words))
    return out


def shrink(cmd: str) -> list[str]:
    for pattern, extra, _why in SHRINK:
        if re.search(pattern, cmd):
            return list(extra)
    return []


# ------------------------------------------------------------------------------ stand-ins
def _shape_points(n: int, seed: int = 0) -> np.ndarray:
    from pointrecon.data import make_shape
    from pointrecon.io import sample_surface

    return sample_surface(make_shape("chair", seed=seed), n, seed=seed).astype(np.float32)


def make_standins(folder: Path) -> None:
    """Small stand-ins for the files the README's examples read."""
    import laspy
    import nibabel as nib

    from pointrecon.data import make_shape
    from pointrecon.io import write_mesh, write_points

    gt = _shape_points(4096)
    scan = gt[gt[:, 2] > np.median(gt[:, 2])][:1500]  # one side of the shape
    rng = np.random.default_rng(0)
    write_points(folder / "scan.ply", scan)
    write_points(folder / "scan.pcd", scan)
    write_points(folder / "gt.ply", gt)
    write_points(folder / "pred.ply", gt + rng.normal(0, 0.01, gt.shape).astype(np.float32))
    mesh = make_shape("mug", seed=1)
    write_mesh(folder / "mesh.obj", mesh)
    write_mesh(folder / "part.stl", mesh)
    (folder / "meshes").mkdir()
    write_mesh(folder / "meshes" / "mug.obj", mesh)

    # a geo-referenced LAZ tile: UTM-like coordinates around (500025, 4100025, 50)
    header = laspy.LasHeader(point_format=3, version="1.4")
    header.scales = [0.001] * 3
    header.offsets = [500000.0, 4100000.0, 0.0]
    las = laspy.LasData(header)
    xyz = _shape_points(3000, seed=2) * 20.0 + [500025.0, 4100025.0, 50.0]
    las.x, las.y, las.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    las.intensity = rng.integers(0, 65535, len(xyz)).astype(np.uint16)
    las.classification = np.full(len(xyz), 6, np.uint8)
    las.write(str(folder / "tile.laz"))

    # volumes: a 32^3 CT-like ball (500 inside, 0 outside), 2 mm voxels; a sparse copy
    ijk = np.stack(np.meshgrid(*[np.arange(32)] * 3, indexing="ij"), -1)
    vol = np.where(np.linalg.norm(ijk - 15.5, axis=-1) < 10, 500.0, 0.0).astype(np.float32)
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    nib.save(nib.Nifti1Image(vol, affine), str(folder / "head.nii.gz"))
    nib.save(nib.Nifti1Image(vol.astype(np.uint8), affine), str(folder / "sparse.nii.gz"))


def make_kitti(root: Path) -> None:
    """A stand-in of PCN's KITTI folder: two car scans with their boxes."""
    from pointrecon.io import write_points

    rng = np.random.default_rng(1)
    corners = np.array(
        [[x, y, z] for x, y in ((2, 1), (2, -1), (-2, -1), (-2, 1)) for z in (0, 1.5)]
    )[[0, 2, 4, 6, 1, 3, 5, 7]]
    for k in range(2):
        car = rng.uniform([-2, -1, 0], [2, 1, 1.5], (400, 3)).astype(np.float32)
        (root / "cars").mkdir(parents=True, exist_ok=True)
        (root / "bboxes").mkdir(exist_ok=True)
        write_points(root / "cars" / f"frame_{k}_car_0.pcd", car + [10.0 * k, 5.0, 0.0])
        box = corners + [10.0 * k, 5.0, 0.0]
        np.savetxt(root / "bboxes" / f"frame_{k}_car_0.txt", box, fmt="%.4f")


# Placeholders in commands and how they become real paths (in the block's folder):
#   outputs/<task>/<run>   the newest run folder under outputs/<task>/, made by an earlier line of
#                          the block; when there is none, the stand-in run of `standin_runs`
#                          (a tiny trained run, `eval` its evaluation) is copied there first
#   <time>                 the same for a multirun folder (outputs/<task>_multirun/<time>)
#   path/to/meshes         the stand-in folder `meshes/` (one mesh)
PLACEHOLDERS = {
    "<run>": "newest run folder (or the stand-in run)",
    "<time>": "newest multirun folder",
    "path/to/meshes": "meshes",
}


def _newest(folder: Path) -> Path | None:
    runs = sorted(p for p in folder.glob("*") if p.is_dir()) if folder.is_dir() else []
    return runs[-1] if runs else None


def substitute(cmd: str, cwd: Path, standin_runs, chosen: dict[str, str]) -> str:
    """``cmd`` with its placeholders replaced; ``chosen`` keeps, per block, the folder each
    ``outputs/<task>/<run>`` stands for, so that every line of a block means the same run."""
    cmd = cmd.replace("path/to/meshes", PLACEHOLDERS["path/to/meshes"])

    def run_dir(m: re.Match) -> str:
        key = m.group(0)
        if key not in chosen:
            task = m.group(1)
            found = _newest(cwd / "outputs" / task)
            if found is None:
                src = standin_runs()[task]
                found = cwd / "outputs" / task / src.name
                shutil.copytree(src, found)
            chosen[key] = f"outputs/{task}/{found.name}"
        return chosen[key]

    cmd = re.sub(r"outputs/([\w-]+)/<(?:run|time)>", run_dir, cmd)
    assert "<" not in cmd.replace("<<", ""), f"unresolved placeholder in {cmd!r}"
    return cmd


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """PATH with `pointrecon` and `python` of this checkout; caches and data in temp folders."""
    bin_dir = tmp_path_factory.mktemp("bin")
    for name, target in (("pointrecon", "-m pointrecon.cli.main"), ("python", "")):
        exe = bin_dir / name
        exe.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {target} "$@"\n')
        exe.chmod(0o755)
    data = tmp_path_factory.mktemp("data")
    make_kitti(data / "KITTI")
    return dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(":"),
        POINTRECON_CACHE=str(tmp_path_factory.mktemp("cache")),
        POINTRECON_DATA=str(data),
        OMP_NUM_THREADS="1",
        MPLBACKEND="Agg",
        PYTHONWARNINGS="ignore",
    )


def _sh(cmd: str, cwd: Path, env: dict[str, str], timeout: int = 900) -> None:
    res = subprocess.run(
        ["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert res.returncode == 0, f"`{cmd}` failed ({res.returncode}):\n{res.stderr[-4000:]}"


@pytest.fixture(scope="module")
def standin_runs(tmp_path_factory, env):
    """``() -> {"train": run folder, "eval": its evaluation}``, made once, on first use."""
    made: dict[str, Path] = {}

    def get() -> dict[str, Path]:
        if not made:
            root = tmp_path_factory.mktemp("standin_run")
            _sh(
                "pointrecon train experiment=tiny debug=deterministic " + " ".join(_SMALL_DATA),
                root,
                env,
            )
            run = _newest(root / "outputs" / "tiny")
            _sh(f"pointrecon eval ckpt={run} max_batches=1", root, env)
            made.update(train=run, eval=_newest(root / "outputs" / "eval"))
        return made

    return get


def _params():
    out = []
    for b in all_blocks():
        marks = []
        if b.lang in SHELL and any(re.search(p, b.code) for p in SLOW):
            marks.append(pytest.mark.slow)
        out.append(pytest.param(b, id=b.id, marks=marks))
    return out


# ------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("block", _params())
def test_readme_block_runs(block: Block, tmp_path, env, standin_runs, monkeypatch) -> None:
    if block.lang in TEXT:
        return  # not code
    assert block.lang in SHELL | PYTHON, (
        f"{block.id}: label the block as python, bash or text (got {block.lang!r})"
    )
    if block.skip is not None:
        key, reason = block.skip
        assert key in REVIEWED_SKIPS, f"{block.id}: skip key {key!r} is not in REVIEWED_SKIPS"
        pytest.skip(f"{key}: {reason}")
    make_standins(tmp_path)
    if block.lang in PYTHON:
        monkeypatch.chdir(tmp_path)
        code = compile(block.code, f"{block.doc}:{block.line}", "exec")
        exec(code, {"__name__": "__readme__"})  # noqa: S102 - the README's own example
        return
    commands = shell_commands(block.code)
    assert commands, f"{block.id}: empty shell block"
    for cmd in commands:
        needs = shlex.split(cmd)[0]
        if needs in REQUIRES and shutil.which(needs) is None:
            pytest.skip(REQUIRES[needs])
    chosen: dict[str, str] = {}
    for cmd in commands:
        run = substitute(cmd, tmp_path, standin_runs, chosen)
        extra = shrink(cmd)
        _sh(" ".join([run, *map(shlex.quote, extra)]), tmp_path, env)


def test_skip_markers_are_reviewed() -> None:
    used = {b.skip[0] for b in all_blocks() if b.skip}
    assert used <= set(REVIEWED_SKIPS), used - set(REVIEWED_SKIPS)
    assert set(REVIEWED_SKIPS) <= used, f"unused skip keys: {set(REVIEWED_SKIPS) - used}"


def test_parser_finds_blocks_markers_and_continuations() -> None:
    text = (
        "x\n<!-- skip-test: cuda: needs a GPU -->\n```bash\na --x \\\n  --y  # c\n```\n"
        "- item\n\n  ```text\n  tree/\n  ```\n"
    )
    a, b = parse_blocks(text, "t.md")
    assert (a.lang, a.skip, a.line) == ("bash", ("cuda", "needs a GPU"), 3)
    assert shell_commands(a.code) == ["a --x --y"]
    assert (b.lang, b.code, b.skip) == ("text", "tree/\n", None)
    assert shrink("pointrecon train model=pcn")[0] == "debug=fast"
    assert shrink("pointrecon bench compare a.json b.json") == []
