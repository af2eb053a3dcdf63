from django.urls import path

from xiake.portal import views

app_name = "portal"
urlpatterns = [
    path("my/", views.my_home, name="my"),
]
