"""torch-geometric is an optional extra: the default models run without it, and the PyG
backends say how to install it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["torch_geometric"] = None  # import torch_geometric now raises ImportError
    import torch
    from pointrecon.config import compose
    from pointrecon.utils.instantiate import instantiate

    for name in ("pcn", "pointnet_gru", "dgcnn_gru", "pointnet2_gru", "completion"):
        model = instantiate(compose("train", [f"model={name}"]).model).eval()
        with torch.no_grad():
            out = model(torch.rand(1, 256, 3))
        assert torch.isfinite(out.fine).all(), name
    from pointrecon.models import DGCNN
    try:
        DGCNN(backend="pyg")
    except ImportError as e:
        assert "pointrecon[pyg]" in str(e), e
    else:
        raise AssertionError("DGCNN(backend='pyg') built without torch_geometric")
    print("ok")
    """
)


def test_default_models_need_no_torch_geometric() -> None:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-3000:]
