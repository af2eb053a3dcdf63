from xiake.catalog import resources  # noqa: F401  (registers the resources)
from xiake.core.urls import resource_urls

app_name = "catalog"
urlpatterns = resource_urls("catalog")
