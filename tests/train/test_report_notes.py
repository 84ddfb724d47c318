"""The evaluation tables warn where a column is not comparable with published numbers."""

from __future__ import annotations

from pointrecon.train.report import to_markdown


def test_emd_table_says_it_is_not_comparable_with_auction_emd():
    tables = {"model": {"mean": {"cd_l1": 1.0, "emd": 2.0, "n": 3}}}
    md = to_markdown(tables, "t")
    emd_part = md[md.index("## EMD") :]
    assert "Sinkhorn" in emd_part and "auction" in emd_part and "do not compare" in emd_part
    assert "auction" not in md[: md.index("## EMD")]  # only under the EMD table
    assert "auction" not in to_markdown({"model": {"mean": {"cd_l1": 1.0, "n": 3}}})
