"""seed_demo: realistic demo members, users, tools and authorisations. Safe to run twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from alerts.demo.data import ALERTS, DEMO_PASSWORD, MEMBERS, RELIANCE, REPORTS, ROLES, TOOLS, VERSIONS
from alerts.demo.inquiries import seed_requests
from alerts.demo.network import seed_answers, seed_deadlines, seed_subscriptions
from alerts.demo.translations import seed_translations
from alerts.models import Alert, Authorization, Report, Signal, Tool, ToolVersion
from alerts.services.alerts import alert_amend, alert_close, alert_draft_create, alert_publish, alert_withdraw
from alerts.services.reports import report_draft_create, report_publish
from alerts.services.signals import signals_evaluate
from alerts.services.terminology import TerminologyImportFailed, imdrf_release_import
from alerts.services.tools import authorization_record, tool_register
from alerts.services.versions import tool_version_register
from exchange.errors import ServiceError
from exchange.models import Member, User
from exchange.services.members import member_create, user_create
from exchange.services.tokens import token_issue

IMDRF_SAMPLES = [Path(__file__).resolve().parents[2] / "demo" / "imdrf" / name
                 for name in ("sample-consolidated.json", "sample-annex-e.json")]
IMDRF_DEMO_RELEASE = 2025


class Command(BaseCommand):
    help = "Load realistic demo data (real regulators, fictional AI tools). Running it again adds nothing twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-tokens", action="store_true", help="Do not issue and print demo API tokens")
        parser.add_argument(
            "--webhook-url", default="",
            help="Where MHRA's demo webhook endpoint delivers (make demo: this service's /demo/webhook-receiver/; "
            "a local address needs WEBHOOK_ALLOW_PRIVATE_URLS=1)",
        )

    def progress(self, step: int, total: int, text: str) -> None:
        width = 24
        filled = int(width * step / total) if total else width
        self.stdout.write(f"  [{'#' * filled}{'.' * (width - filled)}] {step}/{total} {text}")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.seed(issue_tokens=not options["no_tokens"], webhook_url=options["webhook_url"])
        except ServiceError as exc:
            raise CommandError(f"Seeding failed: {exc.detail}") from exc

    def seed(self, *, issue_tokens: bool, webhook_url: str = "") -> None:
        self._seed_members()
        self._seed_tools()
        self.stdout.write(self.style.MIGRATE_HEADING("IMDRF adverse-event terminology (sample)"))
        for sample in IMDRF_SAMPLES:
            self.stdout.write(f"  {self._imdrf(sample)}")

        self.stdout.write(self.style.MIGRATE_HEADING("Subscriptions and webhook endpoints"))
        seed_subscriptions(webhook_url=webhook_url, say=lambda text: self.stdout.write(f"  {text}"))

        self.stdout.write(self.style.MIGRATE_HEADING("Safety alerts"))
        for step, spec in enumerate(ALERTS, 1):
            alert, created = self._alert(spec)
            state = alert.status if alert.revision < 2 else f"{alert.status}, revision {alert.revision}"
            note = "" if created else " (already there)"
            self.progress(step, len(ALERTS), f"{alert.reference or 'draft':<15} {spec['publisher']:<5} "
                          f"{alert.alert_type}/{alert.severity} {alert.distribution}: {state}{note}")

        self.stdout.write(self.style.MIGRATE_HEADING("Answers from the audience"))
        seed_answers(say=lambda text: self.stdout.write(f"  {text}"))
        self.stdout.write(self.style.MIGRATE_HEADING("Deadlines (one overdue and one due soon per inbox)"))
        seed_deadlines(say=lambda text: self.stdout.write(f"  {text}"))

        self.stdout.write(self.style.MIGRATE_HEADING("Information requests between members"))
        seed_requests(say=lambda text: self.stdout.write(f"  {text}"))

        self.stdout.write(self.style.MIGRATE_HEADING("Translations and a demo user per language"))
        seed_translations(say=lambda text: self.stdout.write(f"  {text}"))

        self._seed_reports_and_signals()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"Portal sign-in: <role>@<member>.example (e.g. publisher@mhra.example), password {DEMO_PASSWORD}"
        )
        if issue_tokens:
            self._seed_tokens()

    def _seed_members(self) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Members and users"))
        for step, (code, name, country) in enumerate(MEMBERS, 1):
            with transaction.atomic():
                member = Member.objects.filter(code=code).first() or member_create(
                    actor=None, code=code, name=name, country=country
                )
                for role in ROLES:
                    email = f"{role}@{code.lower()}.example"
                    if not User.objects.filter(email=email).exists():
                        user_create(
                            actor=None, email=email, member=member, role=role, password=DEMO_PASSWORD,
                            full_name=f"{code} {role.title()}",
                        )
            self.progress(step, len(MEMBERS), f"{code} with {len(ROLES)} users")

    def _seed_tools(self) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("AI tools and authorisations"))
        staff = self._staff()
        by_country = {country: code for code, _, country in MEMBERS}
        for step, (tool_name, manufacturer, area, purpose, identifiers, baselines) in enumerate(TOOLS, 1):
            with transaction.atomic():
                first_country = next(iter(baselines))
                registrant = User.objects.get(email=f"publisher@{by_country[first_country].lower()}.example")
                tool = Tool.objects.filter(name=tool_name, manufacturer=manufacturer).first() or tool_register(
                    actor=registrant, name=tool_name, manufacturer=manufacturer, clinical_area=area,
                    intended_purpose=purpose, identifiers=[{"system": s, "value": v} for s, v in identifiers],
                )
                for offset, (jurisdiction, metrics) in enumerate(baselines.items()):
                    if Authorization.objects.filter(tool=tool, jurisdiction=jurisdiction).exists():
                        continue
                    local = by_country.get(jurisdiction)
                    actor = User.objects.get(email=f"publisher@{local.lower()}.example") if local else staff
                    authorization_record(
                        actor=actor, tool=tool, jurisdiction=jurisdiction,
                        reference=f"{jurisdiction}-AI-{2024 + offset % 2}-{step:04d}",
                        date=date(2024 + offset % 2, 1 + (step * 3 + offset) % 12, 1 + step),
                        baseline=[{"metric": m, "value": v} for m, v in metrics.items()],
                        **self._route(tool, jurisdiction),
                    )
            self.progress(step, len(TOOLS), f"{tool_name} ({manufacturer}) in {', '.join(baselines)}")
        self._versions()

    def _seed_reports_and_signals(self) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Real-world performance reports and signals"))
        tools_with_reports = set()
        for step, spec in enumerate(REPORTS, 1):
            report, created = self._report(spec)
            tools_with_reports.add(report.tool_id)
            note = "" if created else " (already there)"
            self.progress(step, len(REPORTS), f"{spec['publisher']:<5} {spec['tool']} {spec['tool_version']} "
                          f"{spec['country']} {spec['period_start']}–{spec['period_end']}{note}")
        for tool_id in tools_with_reports:  # the worker does this after each publication; do it now for the demo
            signals_evaluate(tool_id=tool_id)
        open_signals = Signal.objects.filter(status="open", prepared=False).select_related("tool")
        for signal in open_signals:
            label = f" (subgroup {signal.subgroup})" if signal.subgroup else ""
            self.stdout.write(f"  signal: {signal.tool.name} {signal.metric}{label}: pooled "
                              f"{signal.pooled_value:.3f} vs {signal.reference_value:.3f}")

    def _seed_tokens(self) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Demo API tokens (shown once)"))
        for code in ("MHRA", "FDA", "HC"):
            for role in ("admin", "publisher", "assessor"):
                user = User.objects.select_related("member").get(email=f"{role}@{code.lower()}.example")
                issued = token_issue(actor=None, user=user, name="demo", expires_days=30)
                self.stdout.write(f"  {user.email:<26} {issued.value}")

    def _route(self, tool: Tool, jurisdiction: str) -> dict[str, Any]:
        """A demo authorisation by reliance names its reference (recorded just before, same tool)."""
        if (tool.name, jurisdiction) not in RELIANCE:
            return {}
        reference_jurisdiction, validity = RELIANCE[(tool.name, jurisdiction)]
        reference = Authorization.objects.get(tool=tool, jurisdiction=reference_jurisdiction)
        return {"route": "reliance", "relies_on": reference.pk, "validity": validity}

    def _imdrf(self, path: Path) -> str:
        """Load a sample file into the demo release unless its annexes are there (operators load IMDRF's own)."""
        try:
            outcome = imdrf_release_import(raw=path.read_bytes(), year=IMDRF_DEMO_RELEASE, source=path.name)
        except TerminologyImportFailed as exc:
            if all("already loaded" in problem for problem in exc.problems):
                return f"{path.name}: already loaded"
            raise CommandError(f"{path.name}: " + "; ".join(exc.problems)) from exc
        return f"{path.name}: {outcome.created} terms of annex(es) {', '.join(outcome.annexes)}, release {IMDRF_DEMO_RELEASE}"

    def _report(self, spec: dict[str, Any]) -> tuple[Report, bool]:
        """One published report; skipped if its demo key is already recorded as its data source."""
        marker = f"Demo data set {spec['key']}"
        existing = Report.objects.filter(data_source=marker).first()
        if existing is not None:
            return existing, False
        member = Member.objects.get(code=spec["publisher"])
        actor = User.objects.get(email=f"publisher@{member.code.lower()}.example")
        tool = Tool.objects.get(name=spec["tool"])
        data = {k: v for k, v in spec.items() if k not in {"key", "publisher", "tool"}}
        data.update(tool=tool.pk, data_source=marker, period_start=date.fromisoformat(spec["period_start"]),
                    period_end=date.fromisoformat(spec["period_end"]))
        with transaction.atomic():
            report = report_draft_create(actor=actor, member=member, data=data)
            report = report_publish(actor=actor, member=member, report=report)
        return report, True

    def _alert(self, spec: dict[str, Any]) -> tuple[Alert, bool]:
        """One alert through its whole lifecycle, in one transaction; skipped if its reference exists."""
        code = spec["publisher"]
        existing = Alert.objects.filter(publisher__code=code, publisher_reference=spec["ref"]).first()
        if existing is not None:
            return existing, False
        drafter = User.objects.select_related("member").get(email=f"assessor@{code.lower()}.example")
        publisher = User.objects.select_related("member").get(email=f"publisher@{code.lower()}.example")
        data = {
            "title": spec["title"], "summary": spec["summary"], "description": spec["description"],
            "alert_type": spec["alert_type"], "severity": spec["severity"],
            "affected_tools": self._tools(spec["tools"]), "affected_jurisdictions": spec["jurisdictions"],
            "hazard": spec["hazard"], "harm": spec["harm"], "recommended_actions": spec["actions"],
            "imdrf_codes": spec["imdrf"], "publisher_reference": spec["ref"],
            "distribution": spec["distribution"], "recipients": spec.get("recipients", []),
        }
        with transaction.atomic():
            alert = alert_draft_create(actor=drafter, data=data)
            if spec.get("draft"):
                return alert, True
            alert = alert_publish(actor=publisher, alert=alert)
            for changes, change_summary, material in spec.get("amendments", []):
                changes = dict(changes)
                if "tools" in changes:
                    changes["affected_tools"] = self._tools(changes.pop("tools"))
                alert = alert_amend(actor=publisher, alert=alert, data=changes, change_summary=change_summary,
                                    material=material, if_match=alert.etag)
            if spec.get("close"):
                alert = alert_close(actor=publisher, alert=alert, resolution=spec["close"])
            if spec.get("withdraw"):
                alert = alert_withdraw(actor=publisher, alert=alert, reason=spec["withdraw"])
        return alert, True

    def _versions(self) -> None:
        """Registered versions (SPEC §10.2), each once: by the member of the tool's first jurisdiction."""
        for tool_name, versions in VERSIONS.items():
            tool = Tool.objects.get(name=tool_name)
            registrant = tool.registered_by
            actor = User.objects.get(email=f"publisher@{registrant.code.lower()}.example") if registrant else None
            known = set(ToolVersion.objects.filter(tool=tool).values_list("version", flat=True))
            for version, released_on, summary, significant, pccp in versions:
                if version in known or actor is None:
                    continue
                tool_version_register(
                    actor=actor, tool=tool, version=version, released_on=date.fromisoformat(released_on),
                    change_summary=summary, significant=significant,
                    pccp={"authorised_by": pccp[0], "reference": pccp[1]} if pccp else None,
                )
            self.stdout.write(f"  {tool_name}: versions {', '.join(v[0] for v in versions)}")

    def _tools(self, items: list[tuple[str, ...]]) -> list[dict[str, Any]]:
        names = [item[0] for item in items]
        tools = {tool.name: tool for tool in Tool.objects.filter(name__in=names)}
        missing = [name for name in names if name not in tools]
        if missing:
            raise CommandError(f"Demo alert names a tool that is not in the demo registry: {missing[0]}")
        return [{"tool": tools[item[0]].pk, "versions": item[1], "fixed_in": item[2] if len(item) > 2 else ""}
                for item in items]

    def _staff(self) -> User:
        staff = User.objects.filter(email="secretariat@exchange.example").first()
        if staff is None:
            staff = user_create(
                actor=None, email="secretariat@exchange.example", member=None, role="viewer",
                password=DEMO_PASSWORD, full_name="Network Secretariat", is_staff=True,
            )
        return staff
