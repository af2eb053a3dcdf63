from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from xiake.accounts import resources as _accounts_resources  # noqa: F401
from xiake.accounts.api import obtain_auth_token
from xiake.brokerage import resources as _brokerage_resources  # noqa: F401
from xiake.catalog import resources as _catalog_resources  # noqa: F401
from xiake.contracts import resources as _contracts_resources  # noqa: F401
from xiake.core.api.views import build_router
from xiake.institutions import resources as _institutions_resources  # noqa: F401

api_router = build_router()

# an unreachable database answers 503 (retry), anything else the 500 page: xiake/core/pages.py
handler500 = "xiake.core.pages.server_error"

urlpatterns = [
    path("", include("xiake.core.urls")),
    path("accounts/", include("xiake.accounts.urls")),
    path("catalog/", include("xiake.catalog.urls")),
    path("", include("xiake.contracts.urls")),
    path("", include("xiake.brokerage.urls")),
    path("institutions/", include("xiake.institutions.urls")),
    path("liaison/", include("xiake.liaison.urls")),
    path("", include("xiake.portal.urls")),
    path("dashboard/", include("xiake.dashboard.urls")),
    path("ops/", include("xiake.ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", obtain_auth_token, name="api-token"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"
    ),
    path("api/v1/liaison/", include("xiake.liaison.api")),
    path("api/v1/", include("xiake.brokerage.api")),
    path("api/v1/", include("xiake.institutions.api")),
    path("", include("xiake.matching.urls")),
    path("api/v1/", include(api_router.urls)),
]
