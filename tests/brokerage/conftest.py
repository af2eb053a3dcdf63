import pytest


@pytest.fixture(autouse=True)
def index_dir(settings, tmp_path):
    """Each test gets its own matching index; rebuilds run in the test's thread."""
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False
    return settings.MATCHING_INDEX_DIR
