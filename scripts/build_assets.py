#!/usr/bin/env python3
"""Copy the front-end files xiake serves from ``node_modules/`` into ``xiake/static/vendor/``.

Run after ``npm ci`` (``make`` does both). Pure standard library, no Node tooling: the pages use the
packages' own minified dist files as published on the npm registry, so there is nothing to bundle.
Government intranets are offline, hence no CDN: whitenoise serves these copies.

The list below is the whole contract. Every source must exist, or the script stops with a
non-zero exit naming each missing file (a half-copied vendor folder would fail later, silently,
in a browser).
Source maps referenced by a copied file are listed too, because ``ManifestStaticFilesStorage``
follows ``sourceMappingURL`` comments and ``collectstatic`` fails when the map is absent.

Usage::

    python scripts/build_assets.py           # rebuild xiake/static/vendor/ from node_modules/
    python scripts/build_assets.py --check   # exit 1 unless vendor/ matches node_modules/ exactly
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "xiake" / "static" / "vendor"

# (npm package, path inside the package, destination under xiake/static/vendor/)
ASSETS: tuple[tuple[str, str, str], ...] = (
    ("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org", "LICENSE", "htmx/LICENSE"),
    ("bootstrap", "dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("bootstrap", "dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"),
    ("bootstrap", "dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap", "dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"),
    ("bootstrap", "LICENSE", "bootstrap/LICENSE"),
    (
        "bootstrap-icons",
        "font/bootstrap-icons.min.css",
        "bootstrap-icons/bootstrap-icons.min.css",
    ),
    (
        "bootstrap-icons",
        "font/fonts/bootstrap-icons.woff2",
        "bootstrap-icons/fonts/bootstrap-icons.woff2",
    ),
    (
        "bootstrap-icons",
        "font/fonts/bootstrap-icons.woff",
        "bootstrap-icons/fonts/bootstrap-icons.woff",
    ),
    ("bootstrap-icons", "LICENSE", "bootstrap-icons/LICENSE"),
    ("echarts", "dist/echarts.min.js", "echarts/echarts.min.js"),
    ("echarts", "LICENSE", "echarts/LICENSE"),
    ("echarts", "NOTICE", "echarts/NOTICE"),
)

VERSIONS_FILE = "VERSIONS.json"


def package_versions() -> dict[str, str]:
    """Installed version of every package the asset list draws from."""
    versions = {}
    for package in sorted({package for package, _, _ in ASSETS}):
        manifest = NODE_MODULES / package / "package.json"
        versions[package] = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return versions


def missing_sources() -> list[Path]:
    return [
        NODE_MODULES / package / source
        for package, source, _ in ASSETS
        if not (NODE_MODULES / package / source).is_file()
    ]


def versions_text() -> str:
    return json.dumps(package_versions(), indent=2, sort_keys=True) + "\n"


def build() -> None:
    """Replace the vendor folder with fresh copies, so no stale file from an old version stays."""
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for package, source, destination in ASSETS:
        target = VENDOR / destination
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE_MODULES / package / source, target)
    (VENDOR / VERSIONS_FILE).write_text(versions_text(), encoding="utf-8")


def check() -> list[str]:
    """Differences between vendor/ and what ``build`` would write (empty when up to date)."""
    problems = []
    expected = {destination for _, _, destination in ASSETS} | {VERSIONS_FILE}
    for package, source, destination in ASSETS:
        target = VENDOR / destination
        if not target.is_file():
            problems.append(f"missing: {target.relative_to(ROOT)}")
        elif not filecmp.cmp(NODE_MODULES / package / source, target, shallow=False):
            problems.append(f"differs from node_modules: {target.relative_to(ROOT)}")
    versions = VENDOR / VERSIONS_FILE
    if versions.is_file() and versions.read_text(encoding="utf-8") != versions_text():
        problems.append(f"differs from node_modules: {versions.relative_to(ROOT)}")
    elif not versions.is_file():
        problems.append(f"missing: {versions.relative_to(ROOT)}")
    if VENDOR.is_dir():
        for path in sorted(VENDOR.rglob("*")):
            relative = path.relative_to(VENDOR).as_posix()
            if path.is_file() and relative not in expected:
                problems.append(f"unexpected: {path.relative_to(ROOT)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="verify vendor/ is up to date; copy nothing"
    )
    args = parser.parse_args(argv)

    missing = missing_sources()
    if missing:
        print("build_assets: node_modules is missing these files:", file=sys.stderr)
        for path in missing:
            print(f"  {path.relative_to(ROOT)}", file=sys.stderr)
        print("Run `npm ci` in the repository root first.", file=sys.stderr)
        return 1

    if args.check:
        problems = check()
        for problem in problems:
            print(f"build_assets: {problem}", file=sys.stderr)
        if problems:
            print("Run `python scripts/build_assets.py` to rebuild.", file=sys.stderr)
            return 1
        print(f"build_assets: {VENDOR.relative_to(ROOT)} is up to date")
        return 0

    build()
    print(f"build_assets: copied {len(ASSETS)} files into {VENDOR.relative_to(ROOT)}")
    for package, version in package_versions().items():
        print(f"  {package} {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
