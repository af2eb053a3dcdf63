"""Taxonomies as versioned data: classification schemes (GB/T 4754, GB/T 13745, IPC, …) and terms.

Other apps use :mod:`xiake.taxonomy.api` and may point foreign keys at :class:`~.models.Term`.
"""
