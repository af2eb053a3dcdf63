import pytest


@pytest.fixture(autouse=True)
def index_dir(settings, tmp_path):
    """Each test gets its own index directory; rebuilds run in the test's thread."""
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False
    return settings.MATCHING_INDEX_DIR


def corrupt_index(gen_dir):
    """Overwrite every file of an index generation with garbage. Each file is replaced (a new
    inode), never truncated in place: tantivy keeps the old files memory-mapped, and a mapped
    file cut short under a reader or merge thread kills the process with SIGBUS."""
    import os

    for f in gen_dir.iterdir():
        if f.is_file():
            tmp = f.with_name(f.name + ".corrupt")
            tmp.write_bytes(b"\x00garbage")
            os.replace(tmp, f)
