"""The shared completion item: tensors, seeded augmentation, epoch checks."""

import numpy as np
import pytest
import torch

from pointrecon.data.item import check_epoch, completion_item


def _jitter(sample, rng):
    noise = rng.normal(size=3)
    return {k: v + noise for k, v in sample.items()}


def _item(seed, depth=None):
    p = np.arange(12, dtype=np.float64).reshape(4, 3)
    c = np.ones((6, 3))
    return completion_item(
        p, c, category="mug", label=5, id="mug-1", view=2,
        transform=_jitter, transform_seed=seed, depth=depth,
    )  # fmt: skip


def test_fields_and_dtypes():
    item = _item([0, 1, 2, 3, 0x7A], depth=np.zeros((1, 2, 2)))
    assert item["partial"].dtype == torch.float32 and item["partial"].shape == (4, 3)
    assert item["complete"].shape == (6, 3) and item["depth"].shape == (1, 2, 2)
    assert (item["category"], item["label"], item["id"], item["view"]) == ("mug", 5, "mug-1", 2)


def test_same_transform_on_both_clouds_seeded_by_the_given_seed():
    a, b = _item([0, 1, 2, 3, 0x7A]), _item([0, 1, 2, 3, 0x7A])
    torch.testing.assert_close(a["partial"], b["partial"])
    shift = a["complete"][0] - 1.0  # complete was all ones: the shift is the noise itself
    expected = np.random.default_rng([0, 1, 2, 3, 0x7A]).normal(size=3)
    np.testing.assert_allclose(shift.numpy(), expected, rtol=0, atol=5e-7)  # float32 rounding
    torch.testing.assert_close(a["partial"][0], torch.tensor([0.0, 1.0, 2.0]) + shift)
    other_epoch = _item([0, 1, 2, 4, 0x7A])
    assert not torch.allclose(a["partial"], other_epoch["partial"])


def test_no_transform_keeps_values():
    item = completion_item(np.zeros((2, 3)), np.ones((3, 3)), category="a", label=0, id="a", view=0)
    assert torch.equal(item["complete"], torch.ones(3, 3))
    assert "depth" not in item


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_check_epoch_rejects(bad):
    with pytest.raises(ValueError, match="non-negative int"):
        check_epoch(bad)


def test_check_epoch_accepts_numpy_ints():
    assert check_epoch(np.int64(3)) == 3
