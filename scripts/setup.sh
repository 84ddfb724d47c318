#!/usr/bin/env bash
# Set up pointrecon: system libraries for Open3D, a virtual environment, torch, the package.
#
#   POINTRECON_VENV        where the virtual environment lives   (default: .venv)
#   POINTRECON_PYTHON      the interpreter that creates it       (default: python3)
#   POINTRECON_TORCH_SPEC  the torch requirement installed first (default: torch==2.13.0)
#   POINTRECON_EXTRAS      extras of the package to install      (default: dev)
#
# A torch already importable in the environment is kept as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${POINTRECON_VENV:-.venv}"
PY="${POINTRECON_PYTHON:-python3}"
TORCH_SPEC="${POINTRECON_TORCH_SPEC:-torch==2.13.0}"
EXTRAS="${POINTRECON_EXTRAS:-dev}"

say() { printf '[setup] %s\n' "$*"; }

# 1. System libraries: libusb for `import open3d`, Vulkan + Mesa (llvmpipe) for headless rendering.
sys_pkgs=(libusb-1.0-0 libvulkan1 mesa-vulkan-drivers)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${sys_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "WARNING: missing system packages: ${missing[*]}"
    say "         install them with: sudo apt-get install -y ${missing[*]}"
    say "         (without libusb-1.0-0 Open3D does not import; without Vulkan, renders fall back to matplotlib)"
  fi
fi
# Optional: a virtual X server (Xvfb) and Mesa OpenGL, for the viewer window test; it skips without.
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && ! command -v Xvfb >/dev/null 2>&1; then
  say "installing xvfb (optional: the viewer window test)"
  xinstall() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xvfb libgl1-mesa-dri >/dev/null 2>&1; }
  xinstall || { apt-get update -qq >/dev/null 2>&1 && xinstall; } \
    || say "WARNING: xvfb could not be installed; the viewer window test will skip"
fi

# 2. Virtual environment.
if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
"$VPY" -m pip install -q --upgrade pip >/dev/null 2>&1 || true

# 3. torch first, so that no dependency pulls a different build.
if "$VPY" -c "import torch" >/dev/null 2>&1; then
  say "keeping installed torch $("$VPY" -c 'import torch; print(torch.__version__)')"
else
  say "installing $TORCH_SPEC"
  "$VPY" -m pip install -q "$TORCH_SPEC" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
  "$VPY" -c "import torch" || { say "ERROR: installing $TORCH_SPEC failed"; exit 1; }
fi

# 4. The package, editable, with its extras.
say "installing pointrecon[$EXTRAS]"
log="$(mktemp)"
if ! "$VPY" -m pip install -q -e ".[$EXTRAS]" >"$log" 2>&1; then
  grep -v "is ignored: it is neither a file nor a directory" "$log" >&2 || true
  rm -f "$log"
  say "ERROR: installing the package failed (pip output above)"
  exit 1
fi
rm -f "$log"
"$VPY" -c "import pointrecon, torch, open3d; print('[setup] pointrecon', pointrecon.__version__, '| torch', torch.__version__, '| open3d', open3d.__version__)"
