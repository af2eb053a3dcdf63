"""The news desk: the bureau writes, reviews and publishes news through the generic pages."""

from xiake.core.resources import Resource, register
from xiake.portal import models as m


@register
class NewsItemResource(Resource):
    model = m.NewsItem
    api_name = "news"
    icon = "bi-newspaper"
    list_columns = ("title", "kind", "news_date", "source", "status")
    ordering_fields = ("news_date", "title")
    filter_fields = ("kind", "status")
    search_fields = ("title", "summary", "body", "source")
    form_fields = ("title", "kind", "news_date", "source", "summary", "body")
    natural_key = ("title", "news_date")
    url_prefix = "news/"
