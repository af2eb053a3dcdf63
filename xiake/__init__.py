"""xiake (霞科): a platform for a science and technology bureau to turn university research into local industry."""

__version__ = "0.1.0"
