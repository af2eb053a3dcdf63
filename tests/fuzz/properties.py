"""What every property test of tests/fuzz shares: deterministic and bounded hypothesis settings
(derandomized, so CI runs the same cases every time; no example database; no deadline, because
the shared CI machine's timing varies)."""

from hypothesis import HealthCheck, settings

PROPERTY = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
