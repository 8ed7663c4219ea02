"""What the OpenAPI schema tells integrators about each content operation (see exchange/api/docs.py)."""

from __future__ import annotations

from exchange.api.docs import LIST_NOTE, OperationDoc, doc, request_example

VISIBILITY = (
    " Visibility: your member sees its own alerts (drafts included) and released alerts whose distribution "
    "includes it (`network`, `public`, or `restricted` naming your member); anything else answers `404`."
)
BY_REFERENCE = " `{id}` is the alert's id or its reference (e.g. `SAX-2026-7K3QZP`; older six-digit references such as `SAX-2026-000018` still resolve)."
ETAG = (
    " The answer carries `ETag`, the version of the stored alert: it changes with every write (draft edits, "
    "publication, each amendment, closing, withdrawal), so it is not the revision number; an alert at "
    "revision 3 may carry `\"…-v4\"`. Send it back as `If-Match` to amend."
)
ACK_EFFECT = (
    " Acknowledgements are then requested from every audience member where an affected tool is authorised, "
    "with a deadline set by severity; they appear in those members' inboxes."
)
RELIANCE_EFFECT = (
    " Members whose authorisation of an affected tool relies on yours and who are in the audience get a "
    "reliance review (a material amendment opens another); the answer adds `reliance_gaps`, the codes of "
    "relying members outside the audience, for you alone: widen the distribution to reach them (the service "
    "never does)."
)

ALERT_BODY = {
    "title": "Missed small nodules after scanner firmware 7.2",
    "summary": "Sensitivity for nodules under 6 mm fell after firmware 7.2 was installed on the CT scanner.",
    "alert_type": "performance_degradation",
    "severity": "high",
    "affected_tools": [{"tool": "0b6f3c1e-8d4a-4b8e-9f2a-1c3d5e7f9a0b", "versions": ">=2.0,<2.4"}],
    "affected_jurisdictions": ["GB", "US"],
    "hazard": "Delayed diagnosis of lung cancer.",
    "recommended_actions": "Double-read CT studies acquired after the firmware update.",
    "imdrf_codes": ["A0901"],
    "distribution": "network",
}
ACK_BODY = {"state": "action_taken", "comment": "Double reading introduced at all sites on 3 March.",
            "decision": "adopt", "rationale": "The same action applies in our jurisdiction."}

OPERATIONS: dict[str, OperationDoc] = {
    # --- the registry ------------------------------------------------------------------------------
    "tools_list": doc(
        "List AI tools in the shared registry",
        "Every registered AI tool with its identifiers and where it is authorised. Filters: `clinical_area`, "
        "`manufacturer`, `authorised_in`, `identifier`; `search` looks in names, manufacturers, purposes and "
        "identifiers. Any member user (`read`)." + LIST_NOTE,
    ),
    "tools_create": doc(
        "Register an AI tool",
        "Adds a tool to the shared registry. An identifier (e.g. a 510(k) number or UDI-DI) already held by "
        "another tool answers `409` naming it. Assessors and above (`draft`). Records an audit entry; answers "
        "`201` with `Location`. Accepts `Idempotency-Key`.",
        request_example("A tool", {"name": "LungScan AI", "manufacturer": "Quillfeather Imaging Ltd",
                                   "clinical_area": "radiology", "intended_purpose": "Detects lung nodules on CT",
                                   "identifiers": [{"system": "udi-di", "value": "05012345678900"}]}),
    ),
    "tools_retrieve": doc("Read one AI tool", "With its identifiers and authorisations. Any member user (`read`)."),
    "tools_partial_update": doc(
        "Correct an AI tool's details",
        "Changes a tool's name, manufacturer, purpose, clinical area or identifiers. Assessors and above "
        "(`draft`). Records an audit entry.",
    ),
    "tools_performance_retrieve": doc(
        "A tool's pooled real-world performance",
        "Per metric: the declared baselines, the pooled value over every published, current report your member "
        "may see (a superseded report no longer counts), per period and per subgroup, and `by_version`: each "
        "version's own trend. `?version=` narrows everything to one version (a registered one where the tool has "
        "versions, else `400` listing them). Each metric says `lower_is_better`. Any member user (`read`). "
        "Changes nothing.",
    ),
    "tools_versions_list": doc(
        "A tool's versions",
        "Every registered version of the tool in version order (PEP 440 where every version parses as one, "
        "otherwise by release date then registration), withdrawn ones marked, with any change control plan "
        "(`pccp`) the change was made under. Any member user (`read`). Changes nothing.",
    ),
    "tools_versions_create": doc(
        "Register a version of a tool",
        "Any member may register a version; a version already registered (`3.4` and `3.4.0` are the same) "
        "answers `409`. Versions are never edited or removed: withdraw a mistaken one. Assessors and above "
        "(`draft`). Records an audit entry; answers `201` with `Location`. Accepts `Idempotency-Key`.",
        request_example("A retrained release under an FDA PCCP", {
            "version": "3.4.0", "released_on": "2026-05-01", "change_summary": "Retrained on 2025 scanner data",
            "significant": False, "pccp": {"authorised_by": "FDA", "reference": "PCCP-K231234"}}),
    ),
    "tools_versions_withdraw_create": doc(
        "Withdraw a mistaken version",
        "Marks the version withdrawn with a reason: it stays listed but no longer counts for specifiers, "
        "reports or fix checks. The member that registered it (`403` otherwise), assessors and above "
        "(`draft`). Records an audit entry.",
    ),
    "alerts_fix_check_retrieve": doc(
        "Did the fix work?",
        "For an alert whose affected tool names `fixed_in`: per metric, the pooled performance of the affected "
        "versions and of `fixed_in` and later, each with its 95% interval, the difference, and a verdict decided "
        "by the intervals (`improved`, `not_improved`, `insufficient_evidence`; a figure without an interval "
        "decides nothing). Pools only the published, current reports your member may see. Any member user "
        "(`read`)." + VISIBILITY + BY_REFERENCE,
    ),
    "tools_authorizations_list": doc(
        "Where a tool is on the market",
        "The tool's authorisations by jurisdiction, with status, date and declared baseline metrics. Filters: "
        "`jurisdiction`, `status`. Any member user (`read`)." + LIST_NOTE,
    ),
    "tools_authorizations_create": doc(
        "Record an authorisation in your jurisdiction",
        "Records that the tool is authorised (or suspended, withdrawn) in your member's own jurisdiction, with "
        "its reference and declared baseline metrics; another jurisdiction answers `403`. `route` is "
        "`independent` (the default) or `reliance`: a reliance authorisation names `relies_on`, "
        "another member's authorisation of the same tool that is `authorised` and itself independent, and "
        "`validity` (`follows_reference`, the default, or `independent_after_grant`). Relying on your own "
        "member's authorisation, on another tool's, on a reliance authorisation (`code: reliance-chain`) or on a "
        "suspended or withdrawn one answers `400` naming the field. Publishers (`publish`). Records an audit "
        "entry and the event `authorisation.changed` (every active member); answers `201` with `Location`. "
        "Accepts `Idempotency-Key`.",
        request_example("A UKCA marking", {"jurisdiction": "GB", "reference": "UKCA-2025-0042",
                                           "status": "authorised", "date": "2025-03-01",
                                           "baseline": [{"metric": "sensitivity", "value": 0.92}]}),
        request_example("By reliance on FDA's authorisation", {
            "jurisdiction": "CA", "reference": "HC-MDL-2026-0101", "status": "authorised", "date": "2026-02-01",
            "route": "reliance", "relies_on": "5a7c1e2b-3d4f-4a6b-8c9d-0e1f2a3b4c5d",
            "validity": "follows_reference"}),
    ),
    "tools_authorizations_retrieve": doc("Read one authorisation", "Any member user (`read`). Changes nothing."),
    "tools_authorizations_partial_update": doc(
        "Change an authorisation of your jurisdiction",
        "Changes the status, reference, date, baselines or route of an authorisation your member recorded "
        "(`{\"status\": \"suspended\"}`). Publishers (`publish`). Records an audit entry and, when something "
        "changed, the event `authorisation.changed`. A change of the status (or versions) of an authorisation "
        "others rely on opens a reliance review for each of them in the same transaction.",
    ),
    # --- reliance reviews (SPEC §10.1) ---------------------------------------------------------------
    "reliance_reviews_list": doc(
        "Reliance reviews of your member",
        "Reviews where your member is the relying or the reference member, most urgent (earliest deadline) "
        "first; `?status=open|decided`. A review opens, in the transaction of its trigger, for each authorisation "
        "relying on another member's when that member publishes or materially amends an alert about the tool "
        "whose audience includes the relying member (`trigger.kind: alert`), or changes the status or versions "
        "of the reference authorisation (`authorisation_change`). Deadlines: `RELIANCE_REVIEW_HOURS`. Any member "
        "user (`read`); other members' reviews are never listed." + LIST_NOTE,
    ),
    "reliance_reviews_retrieve": doc(
        "Read one reliance review",
        "The relying and the reference member read it; anyone else gets `404`. Any member user (`read`).",
    ),
    "reliance_reviews_decision_create": doc(
        "Decide a reliance review",
        "The relying member's decision: `maintain`, `vary` (with `versions` or a `comment`), `suspend` or "
        "`revoke`, with a `rationale` (required; `400` naming the field otherwise). `suspend` and `revoke` change "
        "your authorisation's status in the same transaction (audited, event `authorisation.changed`); every "
        "decision records `reliance.review_decided` for the relying and the reference member. A decided review "
        "answers `409`; the reference member `403`; anyone else `404`. Publishers and admins of the relying "
        "member (`publish`).",
        request_example("Suspend", {"outcome": "suspend",
                                    "rationale": "FDA's finding applies to the firmware deployed in Canada."}),
    ),
    # --- alerts --------------------------------------------------------------------------------------
    "alerts_list": doc(
        "List safety alerts",
        "Alerts your member may see, newest first. Filters: `status`, `alert_type`, `severity` (each "
        "repeatable), `distribution`, `publisher`, `tool`, `jurisdiction`, `reference`, `published_after`, "
        "`published_before`; `search` is ranked full-text search (best match first: title above summary above "
        "description, then newest; quotes, `or` and `-word` are understood, other punctuation is ignored, never an "
        "error) over titles, summaries, descriptions, hazards and references. Any member user (`read`)."
        + VISIBILITY + LIST_NOTE,
    ),
    "alerts_create": doc(
        "Draft a safety alert",
        "Creates a draft of your member's: only your member sees it until it is published. Assessors and "
        "above (`draft`). Records an audit entry (no network event until publication); answers `201` with "
        "`Location` and `ETag`. Accepts `Idempotency-Key`.",
        request_example("A network-wide performance alert", ALERT_BODY),
        request_example("Restricted to two members", {**ALERT_BODY, "distribution": "restricted",
                                                      "recipients": ["FDA", "HC"]}),
    ),
    "alerts_retrieve": doc(
        "Read one safety alert",
        "The alert as it stands now (its latest revision once published), with `language` (the BCP 47 tag of "
        "its authoritative text) and `translations`. With `?lang=fr` (or `Accept-Language: fr`) the answer adds "
        "`localized`: the translation a reader of that language is shown (the exact tag first, then the same "
        "language; current before outdated; the publisher's own first), or `null`. Any member user (`read`)."
        + VISIBILITY + BY_REFERENCE + ETAG,
    ),
    "alerts_partial_update": doc(
        "Edit a draft",
        "Changes the fields given, on a draft of your member's only: a published alert changes by amendment "
        "(`409` otherwise). `If-Match` is optional here; a stale one answers `412`. Assessors and above (`draft`). "
        "Records an audit entry." + BY_REFERENCE,
    ),
    "alerts_destroy": doc(
        "Delete a draft",
        "Deletes a draft of your member's; a published alert cannot be deleted (`409`): withdraw it instead. "
        "Assessors and above (`draft`). Records an audit entry." + BY_REFERENCE,
    ),
    "alerts_publish_create": doc(
        "Publish a draft",
        "Releases the draft to its distribution as revision 1 with a reference `SAX-YYYY-XXXXXX` (six random Crockford base32 characters). Publishers of "
        "the publishing member (`publish`). Records the revision, an audit entry and the event `alert.published` "
        "(delivered to matching subscriptions)." + ACK_EFFECT + RELIANCE_EFFECT + BY_REFERENCE,
    ),
    "alerts_amend_create": doc(
        "Amend a published alert",
        "Makes a new revision from the fields given plus `change_summary`; `material: true` asks every "
        "audience member to acknowledge again. Requires `If-Match` with the current `ETag`: missing answers "
        "`428`, stale `412` (re-read and retry). The distribution may widen, never narrow, and recipients "
        "cannot be removed. Publishers of the publishing member (`publish`). Records the revision, an audit "
        "entry and the event `alert.amended`, whose data adds `amendment` (revision, summary, changed fields)."
        + RELIANCE_EFFECT + BY_REFERENCE + ETAG,
        request_example("A material correction", {"change_summary": "Firmware 7.3 is affected too.",
                                                  "material": True, "severity": "critical"}),
    ),
    "alerts_close_create": doc(
        "Close an alert",
        "Marks a published alert resolved with a `resolution` text; it stays readable. Publishers of the "
        "publishing member (`publish`). Records an audit entry and the event `alert.closed`." + BY_REFERENCE,
        request_example("Resolved", {"resolution": "Manufacturer released fixed version 2.4.1."}),
    ),
    "alerts_withdraw_create": doc(
        "Withdraw an alert",
        "Withdraws a published or closed alert issued in error, with a `reason`; it stays readable, marked "
        "withdrawn. Publishers of the publishing member (`publish`). Records an audit entry and the event "
        "`alert.withdrawn`." + BY_REFERENCE,
        request_example("Issued in error", {"reason": "The affected site used another tool."}),
    ),
    "alerts_revisions_list": doc(
        "List an alert's revisions",
        "Every published revision in order, each with the alert's full content at that revision, its change "
        "summary, whether it was material and which fields changed. Any member user (`read`)."
        + VISIBILITY + BY_REFERENCE,
    ),
    "alerts_revisions_retrieve": doc(
        "Read one revision of an alert",
        "The alert as published at revision `number`. Any member user (`read`)." + VISIBILITY + BY_REFERENCE,
    ),
    "alerts_counts_retrieve": doc(
        "Count alerts by status, severity and type",
        "Counts of the alerts your member may see, after the same filters as the list. Any member user (`read`).",
    ),
    "alerts_acknowledgement_retrieve": doc(
        "Your member's acknowledgement of an alert",
        "Its state (`received`, `assessing`, `action_taken`, `not_applicable`), deadline, whether it is "
        "overdue, the reliance decision and the history of answers; blank if your member has not answered. Any "
        "member user (`read`)." + BY_REFERENCE,
    ),
    "alerts_acknowledgement_update": doc(
        "Acknowledge an alert for your member",
        "Sets your member's answer. States only move forward; `action_taken` needs a comment. Idempotent: "
        "repeating the current answer changes nothing. The publisher cannot acknowledge its own alert. "
        "Assessors and above (`acknowledge`). Records an audit entry and the event `acknowledgement.updated` "
        "(for the publisher)." + BY_REFERENCE,
        request_example("Action taken", ACK_BODY),
    ),
    "alerts_acknowledgements_retrieve": doc(
        "Every member's acknowledgement of your alert",
        "For the publishing member: each audience member's acknowledgement with a summary (requested, "
        "acknowledged, acted, not applicable, overdue). Other members answer `403`. Any user of the publishing member (`read`)." + BY_REFERENCE,
    ),
    "alerts_acknowledgements_partial_update": doc(
        "Extend a member's deadline",
        "For the publishing member: moves one member's acknowledgement deadline later (`{\"member\", "
        "\"deadline\"}`). Publishers (`publish`). Records an audit entry." + BY_REFERENCE,
        request_example("One more week", {"member": "HC", "deadline": "2026-04-15T17:00:00Z"}),
    ),
    "alerts_translations_list": doc(
        "List an alert's translations",
        "Every translation of the alert: `language`, the translated `title`, `summary`, "
        "`recommended_actions` and `description`, who wrote it (`member`, `source`: `publisher`, `member` or "
        "`machine`), the `revision` it translates, `outdated` once a material amendment followed that revision, "
        "and the translating member's `signature` (a detached JWS over the translation without `signature` and "
        "`outdated`, as RFC 8785 canonical JSON; keys at `/api/v1/members/{code}/keys/`). The publisher's text "
        "stays authoritative. Any member user (`read`)." + VISIBILITY + BY_REFERENCE,
    ),
    "alerts_translations_create": doc(
        "Translate an alert",
        "Adds your member's translation of a published or closed alert into another language (`language`, a "
        "BCP 47 tag other than the alert's own; `title` required). Any member that sees the alert may translate "
        "it; `source` is `publisher` (the publishing member only), `member` (the default for others) or "
        "`machine`. Your member's translation is signed with its key. Posting the same language again replaces "
        "your member's own translation of it (`200`); a new one answers `201`. A draft or a withdrawn alert "
        "answers `409`. Assessors and above (`draft`). Records an audit entry; no event." + VISIBILITY
        + BY_REFERENCE,
        request_example("A French translation", {
            "language": "fr", "title": "Nodules manqués après la mise à jour du micrologiciel du scanner",
            "summary": "La sensibilité pour les nodules de moins de 6 mm a baissé.",
            "recommended_actions": "Relire en double les scanners acquis après la mise à jour.", "source": "member",
        }),
    ),
    "alerts_related_retrieve": doc(
        "Possibly related alerts",
        "Published alerts your member may see that share an affected tool, share IMDRF codes, or read alike "
        "(trigram similarity of the titles), best first: `{\"results\": [{\"alert\": {\"id\", \"reference\", "
        "\"title\", \"publisher\"}, \"score\", \"reasons\": [\"same tool\", \"IMDRF code A0901\", "
        "\"similar text\"]}]}`, at most 10. Suggestions only: nothing is merged. Works for a draft (its publisher: "
        "before you publish). Any member user (`read`). Changes nothing." + VISIBILITY + BY_REFERENCE,
    ),
    "alerts_links_retrieve": doc(
        "Links of an alert",
        "The links from this alert (`direction` `outgoing`) and to it (`incoming`, e.g. `label` \"marked as a "
        "duplicate of this by MHRA\"), newest first; a link is listed only when your member may see both alerts. "
        "Any member user (`read`)." + VISIBILITY + BY_REFERENCE,
    ),
    "alerts_links_create": doc(
        "Link an alert to another",
        "For the publishing member of this alert: links it to another alert your member may see (`alert`: its id "
        "or reference) as `related`, `duplicate_of` or `follows_up`, with a `note`. An alert that does not exist "
        "or is not visible is the same `400` naming `alert`; a second link to the same alert is `409`. Publishers "
        "and admins (`publish`). Records an audit entry; no event (links are not news). Answers `201` with "
        "`Location`. Accepts `Idempotency-Key`." + BY_REFERENCE,
        request_example("Duplicate of an FDA alert", {"alert": "SAX-2026-000018", "kind": "duplicate_of",
                                                      "note": "The same failure, reported first by FDA."}),
    ),
    "alerts_links_destroy": doc(
        "Remove a link",
        "For the publishing member of the linking alert (from either alert's path): removes the link. A link "
        "your member may not see (either end hidden) is `404`. Publishers and admins (`publish`). Records an "
        "audit entry; no event." + BY_REFERENCE,
    ),
    "alerts_cap_retrieve": doc(
        "Export an alert as CAP 1.2",
        "The alert as an OASIS CAP 1.2 message (`application/cap+xml`) that validates against the CAP 1.2 XML "
        "schema: `msgType` `Alert` for revision 1, `Update` with `references` after amendments, `Cancel` once "
        "withdrawn; `scope` follows the distribution. The path names the format, whatever `Accept` says. Any "
        "member user (`read`). Changes nothing." + VISIBILITY + BY_REFERENCE,
    ),
    "alerts_fhir_retrieve": doc(
        "Export an alert as an HL7 FHIR R5 Bundle",
        "The alert as a FHIR R5 `Bundle` of type `collection` (`application/fhir+json`): one `Communication` "
        "(`completed`, or `entered-in-error` once withdrawn) about the affected tools as `DeviceDefinition`s, "
        "sent by the publishing `Organization`. Any member user (`read`). Changes nothing."
        + VISIBILITY + BY_REFERENCE,
    ),
    "imdrf_terms_list": doc(
        "List IMDRF adverse-event terms",
        "The IMDRF terms of the newest loaded release (or `?release=<year>`), in hierarchy order, with their "
        "status: alerts may use current terms only. Filters: `annex` (A–G), `status`, `code`, `parent`; "
        "`search` matches a code's start or words of the term or its definition. Any member user (`read`). "
        "Changes nothing." + LIST_NOTE,
    ),
    "inbox_list": doc(
        "What awaits your member's acknowledgement",
        "Alerts and reports whose acknowledgement is requested from your member and not complete (neither "
        "`action_taken` nor `not_applicable`), most urgent first: severity, then deadline. Any member user "
        "(`read`)." + LIST_NOTE,
    ),
    "acknowledgement_stats_list": doc(
        "How members answer what you published",
        "Per answering member, over the alerts and reports your member published: how many acknowledgements "
        "were requested, answered, acted on, not applicable and overdue, and the median time to acknowledge. Filters: `kind`, `published_after`, "
        "`published_before`. Any member user (`read`). Changes nothing.",
    ),
}
