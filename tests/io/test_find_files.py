"""find_files walks folders, follows symlinks once, survives symlink loops."""

from __future__ import annotations

import pytest

from pointrecon.errors import DataError
from pointrecon.io import find_files


def test_find_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for rel in ("x.ply", "a/y.PLY", "a/b/z.off", "a/b/skip.txt", "a/w.pcd"):
        (tmp_path / rel).write_text("")
    (tmp_path / "a" / "b" / "loop").symlink_to(tmp_path / "a")  # loop back up
    (tmp_path / "a" / "broken.ply").symlink_to(tmp_path / "missing.ply")
    got = find_files(tmp_path, [".ply", "off"])
    assert [p.relative_to(tmp_path).as_posix() for p in got] == ["a/b/z.off", "a/y.PLY", "x.ply"]
    assert find_files(tmp_path, ".pcd") == [tmp_path / "a" / "w.pcd"]


def test_find_files_errors(tmp_path):
    with pytest.raises(DataError, match="folder not found"):
        find_files(tmp_path / "nope", [".ply"])
    (tmp_path / "f.ply").write_text("")
    with pytest.raises(DataError, match="is a file, expected a folder"):
        find_files(tmp_path / "f.ply", [".ply"])
    with pytest.raises(ValueError, match="extensions"):
        find_files(tmp_path, [])
