from django.urls import path
from rest_framework.routers import SimpleRouter

from exchange.api import events, notifications, preferences, provenance, subscriptions, views, webhooks

router = SimpleRouter()
router.register("members", views.MemberViewSet, basename="member")
router.register("users", views.UserViewSet, basename="user")
router.register("tokens", views.TokenViewSet, basename="token")
router.register("subscriptions", subscriptions.SubscriptionViewSet, basename="subscription")
router.register("webhook-endpoints", webhooks.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("deliveries", webhooks.DeliveryViewSet, basename="delivery")
router.register("notifications", notifications.NotificationViewSet, basename="notification")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/notification-preferences/", preferences.NotificationPreferencesView.as_view(),
         name="me-notification-preferences"),
    path("events/", events.EventFeedView.as_view(), name="event-list"),
    path("members/<str:code>/keys/", provenance.MemberKeysView.as_view(), name="member-keys"),
    path("audit/checkpoints/", provenance.AuditCheckpointListView.as_view(), name="audit-checkpoint-list"),
    *router.urls,
]
