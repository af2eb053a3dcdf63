from django.urls import path

from xiake.matching import views

app_name = "matching"

urlpatterns = [
    path("matching/search/", views.search_page, name="search"),
    path("matching/duplicates/", views.duplicates_queue, name="duplicates"),
    path("matching/triage/", views.triage_queue, name="triage"),
    path("matching/matches/<str:kind>/<int:pk>/", views.matches_fragment, name="matches"),
    path(
        "matching/demands/<int:pk>/discipline/",
        views.accept_discipline,
        name="accept_discipline",
    ),
    path("matching/feedback/", views.feedback, name="feedback"),
    path("api/v1/matching/search/", views.api_search, name="api_search"),
    path("api/v1/matching/feedback/", views.api_feedback, name="api_feedback"),
    path("api/v1/demands/<int:pk>/matches/", views.api_demand_matches, name="api_demand_matches"),
    path(
        "api/v1/achievements/<int:pk>/matches/",
        views.api_achievement_matches,
        name="api_achievement_matches",
    ),
    path(
        "api/v1/enterprises/<int:pk>/matches/",
        views.api_enterprise_matches,
        name="api_enterprise_matches",
    ),
]
