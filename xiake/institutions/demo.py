"""Demo data for the institutions app (filled in below)."""


def generate(context) -> dict:
    return {}


def flush() -> dict:
    return {}
