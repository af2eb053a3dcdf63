"""Demo contracts (a step of `xiake demo`)."""


def generate(context) -> dict:
    return {}


def flush() -> dict:
    return {}
