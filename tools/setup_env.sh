#!/usr/bin/env bash
# Install the dist_mm stack into ./.venv (idempotent; a second run is fast).
#
# What it does, in order:
#   1. creates .venv with the current python3 (3.10-3.12 are supported);
#   2. installs torch 2.x, numpy < 2, mmengine and the build tools mmcv needs;
#   3. builds mmcv 2.1.0 with compiled ops from the PyPI sdist (there are no
#      wheels for torch 2.x on PyPI) into a wheelhouse keyed by torch version
#      and CPU/CUDA flavour, ~/.cache/dist_mm/wheels/<key>/, so the ~15 min
#      build happens once per machine; a CUDA machine (nvcc + a visible GPU or
#      FORCE_CUDA=1) gets a CUDA build by the same command;
#   4. installs mmdet, mmsegmentation, mmrazor, openmim, tensorboard, the
#      docs toolchain (requirements/docs.txt) and dist_mm (editable).
#
# Environment knobs: DIST_MM_VENV (default .venv), DIST_MM_TORCH (default
# 2.13.0), DIST_MM_WHEELHOUSE (default ~/.cache/dist_mm/wheels), MAX_JOBS.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${DIST_MM_VENV:-$root/.venv}"
torch_version="${DIST_MM_TORCH:-2.13.0}"
wheelhouse_root="${DIST_MM_WHEELHOUSE:-$HOME/.cache/dist_mm/wheels}"
log() { printf '[setup_env %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if [ ! -x "$venv/bin/python" ]; then
  log "creating virtual environment $venv"
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
pip() { "$py" -m pip --disable-pip-version-check "$@"; }

log "installing torch $torch_version, numpy, mmengine and build tools"
# torch needs setuptools >= 77; mmcv's setup.py and openmim import pkg_resources
# (removed later); setuptools < 80 keeps the legacy `develop` editable install
# (an egg-link to this folder), which `mim train dist_mm` needs to find
# dist_mm/.mim/tools and configs.

pip install -q "torch==$torch_version" "numpy<2" "mmengine==0.10.7" ninja wheel "setuptools>=77.0.3,<80"

flavour=$("$py" - <<'PY'
import os, shutil, torch
cuda = os.environ.get('FORCE_CUDA') == '1' or (
    torch.cuda.is_available() and shutil.which('nvcc') is not None)
print(f"cu{torch.version.cuda.replace('.', '')}" if cuda and torch.version.cuda else 'cpu')
PY
)
py_tag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
wheelhouse="$wheelhouse_root/mmcv-2.1.0-torch$torch_version-$flavour-$py_tag"

if ! "$py" -c 'import mmcv, mmcv.ops; assert mmcv.__version__ == "2.1.0"' 2>/dev/null; then
  if ! ls "$wheelhouse"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    mkdir -p "$wheelhouse"
    log "building mmcv 2.1.0 with ops ($flavour) into $wheelhouse; ~15 min on 2 cores"
    build_log="$wheelhouse/build.log"
    export MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}"
    if [ "$flavour" = cpu ]; then export FORCE_CUDA=0; else export FORCE_CUDA=1; fi
    # Show ninja's [k/n] progress lines; the full log stays in build.log.
    set +e
    pip wheel -v --no-deps --no-build-isolation --no-binary mmcv -w "$wheelhouse" mmcv==2.1.0 2>&1 \
      | tee "$build_log" | grep --line-buffered -E '^ *\[[0-9]+/[0-9]+\]' \
      | sed -u -E 's/^ *(\[[0-9]+\/[0-9]+\]).*\/([^ /]+\.(cpp|cu))( .*)?$/  mmcv ops \1 \2/'
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ]; then
      log "mmcv build failed (exit $status); last lines of $build_log:"
      tail -n 40 "$build_log"
      exit "$status"
    fi
  else
    log "reusing built mmcv wheel from $wheelhouse"
  fi
  pip install -q --no-deps "$wheelhouse"/mmcv-2.1.0-*.whl
fi
# mmcv's runtime requirements (the wheel was installed with --no-deps).
pip install -q addict packaging Pillow pyyaml yapf "opencv-python-headless<4.11"

log "installing mmdet, mmsegmentation, mmrazor, openmim and dist_mm"
pip install -q "mmdet==3.3.0" "mmsegmentation==1.2.2" "mmrazor==1.0.0" \
  joblib ftfy regex pycocotools scipy pytest tensorboard \
  flake8==7.5.0 isort==9.0.2 yapf==0.43.0
# openmim's dependency opendatalab pins setuptools 60 (too old for torch 2.x)
# and is only used by `mim download --dataset`: install mim without it.
pip install -q --no-deps "openmim==0.3.9"
# click 8.3 passes a sentinel for unset options, which mim 0.3.9 .split()s
pip install -q "Click<8.3" colorama model-index "pandas<2.3" requests rich tabulate
# the docs (Sphinx + MyST), built by the test suite
pip install -q -r "$root/requirements/docs.txt"
pip install -q --no-build-isolation --no-deps --no-use-pep517 -e "$root"
"$py" -c 'import dist_mm, mmcv.ops, mmdet, mmseg, mmrazor; print("dist_mm stack ready:", dist_mm.__version__)'
