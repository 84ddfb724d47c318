"""The project's own docs hold the definitions; nothing cites a design document outside it."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# spelled in two pieces so that this file does not match itself
OUTSIDE = re.compile("DESIGN" + r"(\s*§|\s+section\s+\d|\.md)")


def _text_files() -> list[Path]:
    files = [REPO / "README.md", REPO / "data" / "README.md", REPO / "benchmarks" / "README.md"]
    for folder, pattern in (("pointrecon", "*.py"), ("pointrecon", "*.yaml"), ("tests", "*.py")):
        files += sorted((REPO / folder).rglob(pattern))
    files += sorted((REPO / "docs").glob("*.md"))
    return [f for f in files if f.is_file()]


def test_no_reference_to_a_document_outside_the_repository() -> None:
    hits = [
        f"{f.relative_to(REPO)}:{i}"
        for f in _text_files()
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert hits == []
    assert OUTSIDE.search("see " + "DESIGN" + " §4")  # the pattern does match a citation


def test_conventions_page_defines_the_metrics_and_frames() -> None:
    text = (REPO / "docs" / "conventions.md").read_text(encoding="utf-8")
    for term in ("CD-L1", "CD-L2", "F-Score", "EMD", "(B, N, 3)", "lengths", "normalisation"):
        assert term in text, term
    for f in _text_files():
        for ref in re.findall(r"docs/[\w.-]+\.md", f.read_text(encoding="utf-8")):
            assert (REPO / ref).is_file(), f"{f}: {ref} does not exist"
