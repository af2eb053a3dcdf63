"""Demo data of the liaison app (registered as a step of `xiake demo`)."""


def generate(context) -> dict:
    return {}


def flush() -> dict:
    return {}
