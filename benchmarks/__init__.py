"""Reproducible benchmarks of xiake; each figure is printed beside a baseline measured in the same run.

Never part of the test suite. Run them with ``make bench`` or ``python -m benchmarks.run [--quick]``.
"""
