"""Atomic writes: the target is either the old file or the complete new one."""

import pytest

from pointrecon.utils.atomic import atomic_path, atomic_write_text


def test_write_then_replace(tmp_path):
    p = tmp_path / "sub" / "a.txt"
    atomic_write_text(p, "one")
    atomic_write_text(p, "two")
    assert p.read_text() == "two"
    assert [x.name for x in p.parent.iterdir()] == ["a.txt"]


def test_interrupted_write_keeps_previous_file(tmp_path):
    p = tmp_path / "a.npz"
    p.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(p) as tmp:
        assert tmp.suffix == ".npz" and tmp.parent == tmp_path
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert p.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.npz"]
