"""Forms of information requests in the portal. They only type the input: the rules are the service's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alerts.models import Confidentiality
from alerts.services.inquiries import TEXT_MAX


class InquiryForm(forms.Form):
    to = forms.MultipleChoiceField(
        label=_("Ask"), widget=forms.CheckboxSelectMultiple,
        help_text=_("Only members that can see this subject are listed."),
        error_messages={"required": _("Choose at least one member to ask")},
    )
    question = forms.CharField(
        label=_("Question"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Enter your question")},
    )
    due = forms.DateField(
        label=_("Answer due by"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for 14 days from today."),
        error_messages={"invalid": _("Enter the due date as a real date, for example 2026-12-20")},
    )
    confidentiality = forms.ChoiceField(
        label=_("Who may read it"), widget=forms.RadioSelect, choices=[
            (Confidentiality.ADDRESSEES, _("Only your member and the members you ask")),
            (Confidentiality.AUDIENCE, _("Every member who can see the subject")),
        ], initial=Confidentiality.ADDRESSEES,
    )

    def __init__(self, *args: Any, candidates: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = candidates  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    prefix = "answer"
    text = forms.CharField(label=_("Your answer"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}),
                           help_text=_("Signed with your member's key when you send it."),
                           error_messages={"required": _("Enter your answer")})


class MessageForm(forms.Form):
    prefix = "message"
    text = forms.CharField(label=_("Follow-up"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Enter your follow-up")})


class InquiryCloseForm(forms.Form):
    prefix = "close"
    note = forms.CharField(label=_("Closing note"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("What the answers settled. No answers or follow-ups after closing."),
                           error_messages={"required": _("Enter a closing note")})
