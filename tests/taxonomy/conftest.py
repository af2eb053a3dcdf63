import os
from pathlib import Path

import pytest


def shared_data_dir() -> Path:
    """shared/data beside the repository, or $XIAKE_SHARED_DATA."""
    env = os.environ.get("XIAKE_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def taxonomy_files() -> Path:
    """The public taxonomy tables; tests that need them skip when they are absent."""
    path = shared_data_dir() / "taxonomy"
    if not (path / "gbt4754_2017_with_notes.jsonl").exists():
        pytest.skip(f"shared taxonomy data not found at {path} (set XIAKE_SHARED_DATA)")
    return path
