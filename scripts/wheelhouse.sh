#!/usr/bin/env bash
# Offline bundle for an air-gapped installation (docs/deploy.md): a directory of wheels holding
# xiake itself (with the front-end files of `make assets` and the compiled translations inside)
# and every dependency, plus setuptools so `pip install --no-index .` can build from source too.
#
#   scripts/wheelhouse.sh [DIR]            # build DIR (default dist/wheelhouse)
#   scripts/wheelhouse.sh --verify [DIR]   # build, then install it into a fresh venv with
#                                          # --no-index (nothing from the network) and run checks
#
# The wheels are for this machine's Python version and platform (CPython 3.11, manylinux x86_64
# here); build the bundle on a machine like the target.
set -euo pipefail
cd "$(dirname "$0")/.."

verify=0
if [ "${1:-}" = "--verify" ]; then verify=1; shift; fi
out=$(realpath -m "${1:-dist/wheelhouse}")
py=${PYTHON:-.venv/bin/python}

# The wheel carries xiake/static/vendor and the .mo files; without them the offline site would
# have no Bootstrap/htmx/ECharts and no Chinese interface.
if [ -z "$(ls -A xiake/static/vendor 2>/dev/null)" ]; then
  echo "xiake/static/vendor is empty: run 'make assets' first" >&2; exit 1
fi
if ! ls xiake/*/locale/zh_Hans/LC_MESSAGES/django.mo >/dev/null 2>&1; then
  echo "no compiled translations: run 'make messages' first" >&2; exit 1
fi

mkdir -p "$out"
echo "building the wheelhouse in $out"
"$py" -m pip wheel --quiet --wheel-dir "$out" .
# build requirements of the source tree (pyproject.toml [build-system]) for --no-index installs
"$py" -m pip download --quiet --only-binary=:all: --dest "$out" 'setuptools>=68' wheel
ls "$out" | sed 's/^/  /'
du -sh "$out"

if [ "$verify" = 1 ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "verifying: fresh venv in $tmp, pip install --no-index --find-links $out"
  "$py" -m venv "$tmp/venv"
  # a clean environment: no index, no pip configuration of this machine
  export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1
  "$tmp/venv/bin/pip" install --quiet --no-index --find-links "$out" xiake
  "$tmp/venv/bin/pip" check
  # from the source tree as well (builds xiake with setuptools from the wheelhouse)
  "$py" -m venv "$tmp/venv2"
  "$tmp/venv2/bin/pip" install --quiet --no-index --find-links "$out" .
  cd "$tmp"  # outside the checkout: the installed package, not the source tree
  # a throw-away var dir; the development field key is allowed for this check only
  export XIAKE_VAR_DIR="$tmp/var" DJANGO_SETTINGS_MODULE=xiake.settings FIELD_ENCRYPTION_DEV_KEY=1
  # production-like, so `check --deploy` shows what a site would see (docs/deploy.md, section 1)
  SECRET_KEY=$("$py" -c 'import secrets; print(secrets.token_urlsafe(50))')
  export SECRET_KEY HTTPS=1 ALLOWED_HOSTS=xiake.example.gov.cn
  "$tmp/venv/bin/xiake" check --deploy --fail-level ERROR
  "$tmp/venv/bin/xiake" migrate --noinput -v0
  "$tmp/venv/bin/xiake" collectstatic --noinput -v0
  "$tmp/venv/bin/python" - <<'EOF'
import pathlib

import xiake
from django.conf import settings

static = pathlib.Path(xiake.__file__).parent / "static" / "vendor"
files = sorted(p.name for p in static.rglob("*") if p.is_file())
assert files, "no vendor assets in the installed package"
manifest = pathlib.Path(settings.STATIC_ROOT) / "staticfiles.json"
assert manifest.exists(), "collectstatic wrote no manifest"
mo = list(pathlib.Path(xiake.__file__).parent.glob("*/locale/zh_Hans/LC_MESSAGES/django.mo"))
assert mo, "no compiled translations in the installed package"
print(f"installed xiake at {pathlib.Path(xiake.__file__).parent}: {len(files)} vendor files, "
      f"{len(mo)} translation catalogues, static manifest written")
EOF
  echo "wheelhouse verified: installs offline, migrates, collects static files"
fi
