from rest_framework.pagination import PageNumberPagination

from xiake.core.pagination import IdPaginator


class StandardPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``page_size`` up to 200."""

    django_paginator_class = IdPaginator
    page_size_query_param = "page_size"
    max_page_size = 200
