"""Plain-text point clouds: .xyz .pts .txt .csv (whitespace or comma separated columns).

Column layout: a header line naming the columns (``x y z nx ny nz r g b``, optionally after
``#`` or ``//``) is honoured. Without one: 3 columns = x y z; 4 = x y z intensity;
6 = x y z nx ny nz; 7 = x y z intensity r g b (Leica PTS, colours 0..255);
9 = x y z nx ny nz r g b. Colours above 1 are taken as 0..255. A ``.pts`` file may start with
a line holding the point count, which must match the rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from ._common import decode_text, parse_floats

_ALIASES = {
    "x": "x", "y": "y", "z": "z",
    "nx": "nx", "ny": "ny", "nz": "nz", "normal_x": "nx", "normal_y": "ny", "normal_z": "nz",
    "r": "r", "g": "g", "b": "b", "red": "r", "green": "g", "blue": "b",
}  # fmt: skip
_DEFAULT = {
    3: ["x", "y", "z"],
    4: ["x", "y", "z", "i"],
    6: ["x", "y", "z", "nx", "ny", "nz"],
    7: ["x", "y", "z", "i", "r", "g", "b"],
    9: ["x", "y", "z", "nx", "ny", "nz", "r", "g", "b"],
}


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def _split(line: str, sep: str | None) -> list[str]:
    return [t.strip() for t in line.split(sep)] if sep else line.split()


def read_text(path: Path, data: bytes, ext: str) -> dict[str, np.ndarray | None]:
    """Return dict(points, normals, colors) as float64 arrays (colours in [0, 1])."""
    text = decode_text(path, data)
    lines = [ln.strip() for ln in text.splitlines()]
    sep = "," if ext == ".csv" or (lines and "," in next((ln for ln in lines if ln), "")) else None
    names: list[str] | None = None
    declared: int | None = None
    rows: list[str] = []
    for ln in lines:
        if not ln:
            continue
        body = ln.lstrip("#/").strip() if ln[0] in "#/" else None
        if body is not None:  # comment, maybe naming the columns
            toks = [t.lower() for t in _split(body, sep)]
            if not rows and len(toks) >= 3 and toks[:3] == ["x", "y", "z"]:
                names = toks
            continue
        toks = _split(ln, sep)
        if not rows and declared is None and ext == ".pts" and len(toks) == 1 and toks[0].isdigit():
            declared = int(toks[0])
            continue
        if not rows and names is None:
            if not all(_is_number(t) for t in toks):
                low = [t.lower() for t in toks]
                if len(low) >= 3 and all(a in low for a in ("x", "y", "z")):
                    names = low
                    continue
                raise DataError(path, f"malformed text cloud: first row {ln[:60]!r} is not numeric")
        rows.append(ln)
    if not rows:
        if declared:
            raise DataError(path, f"header declares {declared} points but the file holds none")
        raise DataError(path, "empty point cloud: the file holds no points")
    ncols = len(_split(rows[0], sep))
    if ncols < 3:
        raise DataError(path, f"malformed text cloud: {ncols} columns per row, expected at least 3")
    tokens: list[str] = []
    for i, r in enumerate(rows):
        t = _split(r, sep)
        if len(t) != ncols:
            raise DataError(
                path, f"malformed text cloud: row {i} has {len(t)} values, expected {ncols}"
            )
        tokens.extend(t)
    if declared is not None and declared != len(rows):
        raise DataError(
            path, f"header declares {declared} points but the data holds {len(rows)} rows"
        )
    vals = parse_floats(path, tokens, "text cloud").reshape(len(rows), ncols)
    cols = names if names is not None else _DEFAULT.get(ncols, ["x", "y", "z"])
    index = {}
    for j, name in enumerate(cols[:ncols]):
        index.setdefault(_ALIASES.get(name, name), j)
    out: dict[str, np.ndarray | None] = {"points": vals[:, [index["x"], index["y"], index["z"]]]}
    out["normals"] = (
        vals[:, [index["nx"], index["ny"], index["nz"]]]
        if all(k in index for k in ("nx", "ny", "nz"))
        else None
    )
    colors = None
    if all(k in index for k in ("r", "g", "b")):
        colors = vals[:, [index["r"], index["g"], index["b"]]]
        finite = colors[np.isfinite(colors)]
        if finite.size and finite.max() > 1.0:
            colors = colors / 255.0
        colors = np.clip(np.nan_to_num(colors), 0.0, 1.0)
    out["colors"] = colors
    return out


def text_bytes(
    points: np.ndarray, normals: np.ndarray | None, colors: np.ndarray | None, ext: str
) -> bytes:
    """Encode columns with a naming header (``x,y,z,...`` for csv, ``# x y z ...`` otherwise)."""
    names = ["x", "y", "z"]
    cols = [points.astype(np.float64)]
    if normals is not None:
        names += ["nx", "ny", "nz"]
        cols.append(normals.astype(np.float64))
    if colors is not None:
        names += ["r", "g", "b"]
        cols.append(np.clip(colors, 0.0, 1.0).astype(np.float64))
    table = np.concatenate(cols, axis=1)
    sep = "," if ext == ".csv" else " "
    head = sep.join(names) if ext == ".csv" else "# " + " ".join(names)
    if ext == ".pts":
        head = f"{head}\n{points.shape[0]}"
    body = "\n".join(sep.join(repr(float(v)) for v in row) for row in table.tolist())
    return (head + "\n" + body + "\n").encode("ascii")
