"""Models of the liaison app, one module per sub-domain."""

from xiake.liaison.models.docking import Assignment, ContactLog  # noqa: F401
