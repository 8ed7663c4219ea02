from django.urls import path
from rest_framework.routers import SimpleRouter

from exchange.api import events, views

router = SimpleRouter()
router.register("members", views.MemberViewSet, basename="member")
router.register("users", views.UserViewSet, basename="user")
router.register("tokens", views.TokenViewSet, basename="token")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("events/", events.EventFeedView.as_view(), name="event-list"),
    *router.urls,
]
