"""Forms of the content's portal pages.

A form parses what the browser sends (text boxes for code lists, one row per affected tool) into
the body the REST API takes; that body is then checked by the API's own serializer and handed to
the same service, so the portal shows the same validation messages as the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts.choices import (
    PROPORTION_METRICS,
    AckState,
    AlertType,
    Distribution,
    Metric,
    RelianceDecision,
    Severity,
    metric_range,
)
from alerts.jurisdictions import jurisdiction_problem
from alerts.services.acknowledgements import RATIONALE_REQUIRED
from alerts.services.terminology import imdrf_term_choices
from exchange.portal.access import join_codes, split_codes

TOOL_ROWS_MIN = 3
METRIC_ROWS = 4



# The <datalist> of registered versions the version fields suggest from (alerts/_version_datalist.html).
VERSION_LIST_ID = "registered-versions"

class AlertForm(forms.Form):
    """Draft (and amend) a safety alert: SPEC §2 fields, one row per affected tool."""

    title = forms.CharField(label=_("Title"), max_length=300, help_text=_("At most 300 characters."),
                            error_messages={"required": _("Enter a title: what members see first in the inbox.")})
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Two or three sentences for the inbox and e-mails."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    alert_type = forms.ChoiceField(label=_("Alert type"), choices=AlertType.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, widget=forms.RadioSelect)
    affected_jurisdictions = forms.CharField(
        label=_("Affected jurisdictions"), required=False,
        widget=forms.TextInput(attrs={"data-picker": "jurisdictions", "autocomplete": "off"}),
        help_text=_("Search by country name or code and choose, e.g. United Kingdom or GB (EU for the Union)."),
    )
    hazard = forms.CharField(label=_("Hazard"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    harm = forms.CharField(label=_("Harm"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    recommended_actions = forms.CharField(label=_("Recommended actions"), required=False,
                                          widget=forms.Textarea(attrs={"rows": 4}))
    imdrf_codes = forms.CharField(label=_("IMDRF adverse-event codes"), required=False,
                                  help_text=_("Separated by commas, e.g. A0901, E0102."))
    publisher_reference = forms.CharField(label=_("Your reference"), max_length=100, required=False)
    distribution = forms.ChoiceField(label=_("Distribution"), choices=Distribution.choices, widget=forms.RadioSelect,
                                     initial=Distribution.NETWORK)
    recipients = forms.MultipleChoiceField(
        label=_("Recipients"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for a restricted distribution: the members that receive the alert."),
    )
    etag = forms.CharField(required=False, widget=forms.HiddenInput)
    extra_field_names: tuple[str, ...] = ("etag",)

    def __init__(
        self, *args: Any, tools: list[tuple[str, str]], members: list[tuple[str, str]], tool_rows: int = TOOL_ROWS_MIN,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].choices = members  # type: ignore[attr-defined]
        self._imdrf_pick_by_term()
        self.tool_rows = max(tool_rows, TOOL_ROWS_MIN)
        tool_choices = [("", gettext("— choose a tool —")), *tools]
        for index in range(self.tool_rows):
            self.fields[f"tool_{index}"] = forms.ChoiceField(
                label=gettext("Tool %(number)s") % {"number": index + 1}, choices=tool_choices, required=False
            )
            self.fields[f"versions_{index}"] = forms.CharField(
                label=gettext("Affected versions of tool %(number)s") % {"number": index + 1}, max_length=100, required=False,
                widget=forms.TextInput(attrs={"placeholder": ">=2.0,<2.4", "list": VERSION_LIST_ID}),
            )
            self.fields[f"fixed_in_{index}"] = forms.CharField(
                label=gettext("Fixed in (tool %(number)s)") % {"number": index + 1}, max_length=50, required=False,
                widget=forms.TextInput(attrs={"placeholder": "3.4.0", "list": VERSION_LIST_ID}),
            )

    def _imdrf_pick_by_term(self) -> None:
        """With an IMDRF release loaded, codes are picked by term from it; without one, typed as text."""
        current = self.initial.get("imdrf_codes") or ""
        current_codes = split_codes(current) if isinstance(current, str) else list(current)
        # Submitted codes stay choices too: the service then names an unknown or retired one, as the API does.
        submitted = self.data.getlist("imdrf_codes") if self.is_bound and hasattr(self.data, "getlist") else []
        choices = imdrf_term_choices(keep=[*current_codes, *(c for c in submitted if c not in current_codes)])
        if choices is None:
            return
        self.fields["imdrf_codes"] = forms.MultipleChoiceField(
            label=_("IMDRF adverse-event terms"), required=False, choices=choices,
            widget=forms.SelectMultiple(attrs={"size": 10}),
            help_text=_("Pick the terms that describe the problem (Ctrl or Cmd + click for several); "
                        "each is sent as its IMDRF code."),
        )
        self.initial["imdrf_codes"] = current_codes

    def tool_row_fields(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"tool_{i}"], self[f"versions_{i}"], self[f"fixed_in_{i}"]) for i in range(self.tool_rows)]

    def content_fields(self) -> list[forms.BoundField]:
        skip = {"recipients", "distribution"}
        return [f for f in self if not f.name.startswith(("tool_", "versions_", "fixed_in_")) and f.name not in skip
                and f.name not in self.extra_field_names]

    def api_body(self) -> dict[str, Any]:
        """The cleaned form as the JSON body of POST /api/v1/alerts/ (SPEC Appendix A).

        Fields that did not clean are sent empty, so that the serializer reports its own problems
        with the rest in the same round trip (`validate_all`).
        """
        data = {name: "" for name in self.fields} | {"recipients": []} | dict(self.cleaned_data)
        tools = []
        for index in range(self.tool_rows):
            tool = data.get(f"tool_{index}")
            if tool:
                tools.append({"tool": tool, "versions": data.get(f"versions_{index}", ""),
                              "fixed_in": data.get(f"fixed_in_{index}", "")})
        restricted = data["distribution"] == Distribution.RESTRICTED
        return {
            "title": data["title"],
            "summary": data["summary"],
            "description": data["description"],
            "alert_type": data["alert_type"],
            "severity": data["severity"],
            "affected_tools": tools,
            "affected_jurisdictions": split_codes(data["affected_jurisdictions"]),
            "hazard": data["hazard"],
            "harm": data["harm"],
            "recommended_actions": data["recommended_actions"],
            "imdrf_codes": split_codes(data["imdrf_codes"]) if isinstance(data["imdrf_codes"], str)
            else list(data["imdrf_codes"]),
            "publisher_reference": data["publisher_reference"],
            "distribution": data["distribution"],
            # A hidden recipients box (not restricted) sends nothing, as the API client would.
            "recipients": list(data["recipients"]) if restricted else [],
        }

    @staticmethod
    def initial_from(rendered: dict[str, Any]) -> dict[str, Any]:
        """Initial values from an alert as the API renders it."""
        initial = {key: rendered.get(key) for key in (
            "title", "summary", "description", "alert_type", "severity", "hazard", "harm",
            "recommended_actions", "publisher_reference", "distribution",
        )}
        initial["affected_jurisdictions"] = join_codes(rendered.get("affected_jurisdictions") or [])
        initial["imdrf_codes"] = join_codes(rendered.get("imdrf_codes") or [])
        initial["recipients"] = list(rendered.get("recipients") or [])
        for index, row in enumerate(rendered.get("affected_tools") or []):
            initial[f"tool_{index}"] = str(row["tool"])
            initial[f"versions_{index}"] = row.get("versions", "")
            initial[f"fixed_in_{index}"] = row.get("fixed_in") or ""
        return initial


class AmendForm(AlertForm):
    change_summary = forms.CharField(label=_("What changed, and why"), widget=forms.Textarea(attrs={"rows": 3}))
    material = forms.BooleanField(
        label=_("Material change: ask the audience to acknowledge the new revision"), required=False
    )
    etag = forms.CharField(widget=forms.HiddenInput)
    extra_field_names = ("change_summary", "material", "etag")

    def amend_body(self) -> dict[str, Any]:
        return {**self.api_body(), "change_summary": self.cleaned_data.get("change_summary", ""),
                "material": self.cleaned_data.get("material", False)}


class CloseForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("How the problem was resolved, e.g. a fixed version was released."))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("Why the alert was issued in error. Withdrawal cannot be undone."))


class AcknowledgeForm(forms.Form):
    """Your member's answer. The comment and the rationale are required only in some answers:
    their labels say when (never "(optional)"), and a missing one is one plain message."""

    state = forms.ChoiceField(label=_("Your member's answer"), choices=AckState.choices, widget=forms.RadioSelect,
                              initial=AckState.RECEIVED,
                              error_messages={"required": _("Choose an answer.")})
    comment = forms.CharField(label=_("Comment — required for 'Action taken'"), required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Say what was done, e.g. 'Double reading enabled in all screening sites'."))
    decision = forms.ChoiceField(
        label=_("Reliance decision"), required=False,
        choices=[("", _("No decision yet")), *RelianceDecision.choices],
    )
    rationale = forms.CharField(label=_("Rationale for the decision — required for 'Adapt' and 'Decline'"),
                                required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2}),
                                help_text=_("Only with a reliance decision: why your member relies on it or not."))

    def __init__(self, *args: Any, prefix_id: str = "", **kwargs: Any) -> None:
        if prefix_id:
            kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)
        for name in ("comment", "rationale"):
            self.fields[name].conditional = True  # type: ignore[attr-defined]  # read by includes/field.html

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("state") == AckState.ACTION_TAKEN and not str(data.get("comment", "")).strip():
            self.add_error("comment", gettext("Say what was done: a comment is required for 'Action taken'."))
        if str(data.get("rationale", "")).strip() and not data.get("decision"):
            self.add_error("decision", gettext("Choose the reliance decision that the rationale explains."))
        if data.get("decision") in RATIONALE_REQUIRED and not str(data.get("rationale", "")).strip():
            label = dict(RelianceDecision.choices)[data["decision"]].split(" (")[0]
            self.add_error("rationale", gettext("Say why: a rationale is required for '%(decision)s'.") % {"decision": label})
        return data

    def api_body(self) -> dict[str, Any]:
        data = self.cleaned_data
        body: dict[str, Any] = {"state": data["state"], "comment": data["comment"]}
        if data["decision"]:
            body["decision"] = data["decision"]
        if data["rationale"]:
            body["rationale"] = data["rationale"]
        return body


class DeadlineForm(forms.Form):
    member = forms.CharField(widget=forms.HiddenInput)
    deadline = forms.DateTimeField(
        label=_("New deadline (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class ReportForm(forms.Form):
    """Submit a real-world performance report: the whole population's metrics, one row each."""

    tool = forms.ChoiceField(label=_("AI tool"))
    tool_version = forms.CharField(
        label=_("Tool version"), max_length=50, widget=forms.TextInput(attrs={"list": VERSION_LIST_ID}),
        help_text=_("A registered version of the tool, where it has any (suggested as you type)."),
    )
    period_start = forms.DateField(label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period end"), widget=forms.DateInput(attrs={"type": "date"}))
    setting = forms.CharField(label=_("Care setting"), max_length=300)
    country = forms.CharField(label=_("Country"), max_length=2, help_text=_("ISO 3166-1 code, e.g. GB."))
    population = forms.CharField(label=_("Population"), max_length=300, required=False)
    sample_size = forms.IntegerField(label=_("Sample size"), min_value=1)
    method = forms.CharField(label=_("Method"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    data_source = forms.CharField(label=_("Data source"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    distribution = forms.ChoiceField(label=_("Distribution"), choices=Distribution.choices, widget=forms.RadioSelect,
                                     initial=Distribution.NETWORK)
    recipients = forms.MultipleChoiceField(label=_("Recipients"), required=False, widget=forms.CheckboxSelectMultiple,
                                           help_text=_("Only for a restricted distribution."))

    def __init__(self, *args: Any, tools: list[tuple[str, str]], members: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tool"].choices = [("", gettext("— choose a tool —")), *tools]  # type: ignore[attr-defined]
        self.fields["recipients"].choices = members  # type: ignore[attr-defined]
        metric_choices = [("", "—"), *Metric.choices]
        for index in range(METRIC_ROWS):
            self.fields[f"metric_{index}"] = forms.ChoiceField(label=gettext("Metric %(number)s") % {"number": index + 1}, choices=metric_choices,
                                                               required=False)
            for name, label in (("value", gettext("Value")), ("ci_low", gettext("CI low")), ("ci_high", gettext("CI high"))):
                self.fields[f"{name}_{index}"] = forms.FloatField(label=f"{label} ({index + 1})", required=False)
            for name, label in (("numerator", gettext("Numerator")), ("denominator", gettext("Denominator"))):
                self.fields[f"{name}_{index}"] = forms.IntegerField(label=f"{label} ({index + 1})", required=False)

    def metric_rows(self) -> list[list[forms.BoundField]]:
        names = ("metric", "value", "ci_low", "ci_high", "numerator", "denominator")
        return [[self[f"{name}_{i}"] for name in names] for i in range(METRIC_ROWS)]

    def head_fields(self) -> list[forms.BoundField]:
        return [f for f in self if not f.name.rsplit("_", 1)[-1].isdigit() and f.name not in ("distribution", "recipients")]

    def clean_country(self) -> str:
        problem = jurisdiction_problem(self.cleaned_data["country"])
        if problem is not None:
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return str(self.cleaned_data["country"]).strip().upper()

    def clean(self) -> dict[str, Any]:
        """Each row's numbers within its metric's range, found with the other problems in one pass
        (the service checks the same again, with the intervals and counts)."""
        data = super().clean() or {}
        for index in range(METRIC_ROWS):
            metric = data.get(f"metric_{index}")
            if not metric:
                continue
            lowest, highest = metric_range(metric)
            for key in ("value", "ci_low", "ci_high"):
                number = data.get(f"{key}_{index}")
                if number is not None and not lowest <= number <= highest:
                    self.add_error(f"{key}_{index}", gettext(
                        "%(field)s: %(number)s is outside %(lowest)s–%(highest)s for %(metric)s.") % {
                        "field": self.fields[f"{key}_{index}"].label, "number": f"{number:g}",
                        "lowest": f"{lowest:g}", "highest": f"{highest:g}", "metric": dict(Metric.choices)[metric]})
            if data.get(f"value_{index}") is None and not self.has_error(f"value_{index}") and not (
                metric in PROPORTION_METRICS and data.get(f"numerator_{index}") is not None
                and data.get(f"denominator_{index}")
            ):
                self.add_error(f"value_{index}", gettext(
                    "%(field)s: give the value (or, for a proportion, its numerator and denominator).") % {
                    "field": self.fields[f"value_{index}"].label})
        return data

    def _rows_used(self) -> list[int]:
        """The metric rows that name a metric (their position in the body is their order here)."""
        data = getattr(self, "cleaned_data", {})
        return [index for index in range(METRIC_ROWS) if data.get(f"metric_{index}")]

    def error_field_map(self) -> dict[str, str]:
        """Where an error about `metrics[j].key` of the body belongs: on its own row's field."""
        mapping = {"metrics": "metric_0"}
        for position, index in enumerate(self._rows_used()):
            mapping[f"metrics[{position}]"] = f"metric_{index}"
            for key in ("metric", "value", "ci_low", "ci_high", "numerator", "denominator"):
                mapping[f"metrics[{position}].{key}"] = f"{key}_{index}"
        return mapping

    def _metric(self, index: int) -> dict[str, Any]:
        data = self.cleaned_data
        row = {key: data.get(f"{key}_{index}") for key in ("value", "ci_low", "ci_high", "numerator", "denominator")}
        numerator, denominator = row["numerator"], row["denominator"]
        if row["value"] is None and data[f"metric_{index}"] in PROPORTION_METRICS and numerator is not None and denominator:
            # Counts are enough for a proportion: its value is computed (and shown on the report).
            row["value"] = round(numerator / denominator, 6)
        return {"metric": data[f"metric_{index}"], **row}

    def api_body(self) -> dict[str, Any]:
        """The body for the API's serializer, also from a form with errors (what did clean), so that
        every problem is found in one round trip (`validate_all`)."""
        data = getattr(self, "cleaned_data", {})
        distribution = data.get("distribution")
        restricted = distribution == Distribution.RESTRICTED
        body: dict[str, Any] = {
            key: data.get(key) for key in (
                "tool", "tool_version", "period_start", "period_end", "setting", "country", "population",
                "sample_size", "method", "data_source",
            ) if data.get(key) not in (None, "")
        }
        body.update({
            "metrics": [self._metric(index) for index in self._rows_used()], "subgroups": [],
            "distribution": distribution or Distribution.NETWORK,
            "recipients": list(data.get("recipients") or []) if restricted else [],
        })
        return body


class ReportImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, one row per metric; rows with the same 'report' key form one report. "
                    "All or nothing: any problem refuses the whole file."),
    )
