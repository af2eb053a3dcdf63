from django.urls import path

from xiake.core.urls import resource_urls
from xiake.portal import public, registration, views
from xiake.portal import resources as _resources  # noqa: F401  (registers the news desk)

app_name = "portal"
urlpatterns = [
    path("my/", views.my_home, name="my"),
    path("portal/", public.home, name="public"),
    path("portal/search/", public.search, name="search"),
    path("portal/events/", public.events, name="events"),
    path("portal/events/<int:pk>/", registration.event_page, name="event"),
    path(
        "portal/registrations/<str:reference>/",
        registration.confirmation,
        name="registration_done",
    ),
    path("portal/cancel/", registration.cancel, name="registration_cancel"),
    path("portal/policies/", public.policies, name="policies"),
    path("portal/policies/<int:pk>/", public.policy, name="policy"),
    path("portal/news/", public.news, name="news"),
    path("portal/news/<int:pk>/", public.news_item, name="public_news_item"),
    *resource_urls("portal"),
]
