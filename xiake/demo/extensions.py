"""Other apps add their own demo data here, so that `xiake demo` needs no knowledge of them.

An app registers in its ``AppConfig.ready``::

    from xiake.demo.extensions import DemoStep, register
    register(DemoStep("institutions", generate=demo.generate, flush=demo.flush))

``generate(context)`` runs inside the demo transaction after the libraries exist and returns
``{label: count}``; ``context`` carries ``seed``, ``world`` (the organisations built by
``xiake.demo.orgs``) and ``users`` (the demo accounts by username). ``flush()`` deletes that app's
demo rows (returning counts) and runs before the organisations are deleted.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStep:
    name: str
    generate: Callable[["DemoContext"], dict]
    flush: Callable[[], dict] | None = None


@dataclass
class DemoContext:
    seed: int
    world: object
    users: dict


_steps: dict[str, DemoStep] = {}


def register(step: DemoStep) -> None:
    _steps[step.name] = step


def steps() -> list[DemoStep]:
    return list(_steps.values())
