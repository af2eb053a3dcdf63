from django.urls import path

from xiake.contracts import resources as _resources  # noqa: F401  (registers the resources)
from xiake.contracts import views
from xiake.core.urls import resource_urls

app_name = "contracts"
urlpatterns = [
    path("contracts/deadlines/", views.OverdueView.as_view(), name="deadlines"),
    path("contracts/statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("contracts/<int:pk>/act/", views.ContractActionView.as_view(), name="contract_act"),
    path("contracts/<int:pk>/payments/", views.PaymentAddView.as_view(), name="payment_add"),
    path(
        "contracts/<int:pk>/certificate.pdf",
        views.CertificateView.as_view(),
        name="contract_certificate",
    ),
    *resource_urls("contracts"),
]
