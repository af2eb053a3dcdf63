from django.urls import path

from xiake.portal import public, views

app_name = "portal"
urlpatterns = [
    path("my/", views.my_home, name="my"),
    path("portal/", public.home, name="public"),
    path("portal/search/", public.search, name="search"),
]
