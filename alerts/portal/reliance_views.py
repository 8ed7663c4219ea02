"""The portal's Reliance page (SPEC §10.1): our reliance authorisations, open reviews and their
decision form, decided reviews, and — for a reference regulator — who relies on it, tool by tool."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from alerts import selectors
from alerts.choices import (
    AuthorizationRoute,
    AuthorizationStatus,
    AuthorizationValidity,
    ReviewOutcome,
    ReviewStatus,
)
from alerts.models import Authorization, RelianceReview
from alerts.services.reliance import reliance_review_decide
from exchange.choices import Scope
from exchange.portal.access import Portal, member_view, service_errors
from exchange.portal.pages import page_or_404, render_page

CHOICES = {
    "authorization_statuses": AuthorizationStatus.choices,
    "validities": AuthorizationValidity.choices,
    "outcomes": ReviewOutcome.choices,
}


class DecisionForm(forms.Form):
    """Only types the input: the service judges it (rationale required, vary needs versions or a comment)."""

    outcome = forms.ChoiceField(
        label=_("Decision"), choices=ReviewOutcome.choices, widget=forms.RadioSelect,
        help_text=_("Suspend and revoke change your authorisation at once; maintain and vary keep it authorised."),
    )
    rationale = forms.CharField(label=_("Rationale"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                help_text=_("Why: it goes on the record, and the reference regulator sees it."))
    versions = forms.CharField(label=_("Versions covered (for vary)"), required=False, max_length=200,
                               help_text=_("A version specifier such as >=3.0,<3.4."))
    comment = forms.CharField(label=_("Comment (for vary)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, review: RelianceReview, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"review-{review.pk}-%s")  # several forms on one page: unique ids
        super().__init__(*args, **kwargs)
        self.review = review


def _page_context(portal: Portal, failed: DecisionForm | None = None) -> dict[str, Any]:
    member = portal.member
    visible = selectors.reliance_reviews_visible_to(member=member).select_related("alert")
    open_reviews = list(visible.filter(relying_member=member, status=ReviewStatus.OPEN).order_by("deadline"))
    can_decide = portal.can(Scope.PUBLISH)
    forms_by_review = [
        (review, failed if failed is not None and failed.review.pk == review.pk else DecisionForm(review=review))
        for review in open_reviews
    ]
    ours = list(selectors.authorizations_with_reliance(
        Authorization.objects.filter(route=AuthorizationRoute.RELIANCE, recorded_by=member)
    ).select_related("tool").order_by("tool__name"))
    relying = selectors.authorizations_with_reliance(
        Authorization.objects.filter(route=AuthorizationRoute.RELIANCE, relies_on__recorded_by=member)
    ).select_related("tool", "relies_on").order_by("tool__name", "jurisdiction")
    by_tool: OrderedDict[Any, list[Authorization]] = OrderedDict()
    for authorization in relying:
        by_tool.setdefault(authorization.tool, []).append(authorization)
    return {
        **CHOICES,
        "open_reviews": forms_by_review,
        "can_decide": can_decide,
        "failed": failed,
        "ours": ours,
        "relied_on_by_tool": list(by_tool.items()),
        "references_open": list(visible.filter(reference_member=member, status=ReviewStatus.OPEN).order_by("deadline")),
        "decided": list(visible.filter(status=ReviewStatus.DECIDED).order_by("-decided_at")[:20]),
    }


@member_view()
def reliance(request: HttpRequest, portal: Portal) -> HttpResponse:
    return render_page(request, portal, "alerts/reliance.html", _page_context(portal), section="reliance")


@require_POST
@member_view(Scope.PUBLISH)
def reliance_decide(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    review = page_or_404(selectors.reliance_reviews_visible_to(member=portal.member), detail=gettext("No such review."), pk=pk)
    form = DecisionForm(request.POST, review=review)
    if form.is_valid():
        with service_errors(form):
            reliance_review_decide(actor=portal.user, review=review, **form.cleaned_data)
            messages.success(request, gettext("Decision recorded: %(outcome)s.") % {
                "outcome": dict(ReviewOutcome.choices).get(form.cleaned_data["outcome"], form.cleaned_data["outcome"])})
            return redirect("portal:reliance")
    return render_page(request, portal, "alerts/reliance.html", _page_context(portal, failed=form),
                       section="reliance", status=400)
