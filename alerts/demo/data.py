"""Demo data: real regulators, fictional manufacturers and products (never a real company)."""

from __future__ import annotations

from typing import Any

DEMO_PASSWORD = "exchange-demo-2026"  # noqa: S105 - demo accounts on the embedded default only

MEMBERS = [
    ("MHRA", "Medicines and Healthcare products Regulatory Agency", "GB"),
    ("FDA", "U.S. Food and Drug Administration", "US"),
    ("HC", "Health Canada", "CA"),
    ("TGA", "Therapeutic Goods Administration", "AU"),
    ("SMC", "Swissmedic", "CH"),
    ("PMDA", "Pharmaceuticals and Medical Devices Agency", "JP"),
    ("HSA", "Health Sciences Authority", "SG"),
    ("BFARM", "Federal Institute for Drugs and Medical Devices", "DE"),
]

ROLES = ("admin", "publisher", "assessor", "viewer")

# (name, manufacturer, clinical area, intended purpose, identifiers, {jurisdiction: baseline})
TOOLS = [
    ("LungScan AI", "Quillfeather Imaging Ltd", "radiology",
     "Flags suspected lung nodules on chest CT for radiologist review",
     [("fda-510k", "K239901"), ("ukca", "UKCA-QF-0042")],
     {"GB": {"sensitivity": 0.92, "specificity": 0.88}, "US": {"sensitivity": 0.93, "specificity": 0.87},
      "CA": {"sensitivity": 0.92, "specificity": 0.88}}),
    ("MammoRead Assist", "Brightmoor Analytics", "radiology",
     "Second reader for screening mammography",
     [("ce", "CE-BMA-7781")],
     {"GB": {"sensitivity": 0.89, "specificity": 0.94}, "DE": {"sensitivity": 0.89, "specificity": 0.94},
      "AU": {"sensitivity": 0.88, "specificity": 0.93}}),
    ("StrokeSight", "Kestrelmont Neuro Systems", "neurology",
     "Detects large-vessel occlusion on CT angiography and alerts the stroke team",
     [("fda-510k", "K240117")],
     {"US": {"sensitivity": 0.91, "specificity": 0.90}, "JP": {"sensitivity": 0.90, "specificity": 0.91}}),
    ("SepsisWatch Predict", "Halloran Vantis Health", "critical_care",
     "Predicts onset of sepsis in adult inpatients from EHR vital signs and labs",
     [("udi-di", "08800123456781")],
     {"US": {"auroc": 0.84, "sensitivity": 0.80}, "CA": {"auroc": 0.83, "sensitivity": 0.78}}),
    ("DermaCheck Mobile", "Lumorafield Health", "dermatology",
     "Smartphone app triaging pigmented skin lesions for melanoma risk",
     [("ukca", "UKCA-LF-1193")],
     {"GB": {"sensitivity": 0.87, "specificity": 0.79}, "AU": {"sensitivity": 0.88, "specificity": 0.80},
      "SG": {"sensitivity": 0.86, "specificity": 0.78}}),
    ("RetinaGrade", "Veridane Ocular AI", "ophthalmology",
     "Autonomous grading of diabetic retinopathy from fundus photographs",
     [("fda-denovo", "DEN250031")],
     {"US": {"sensitivity": 0.87, "specificity": 0.90}, "SG": {"sensitivity": 0.88, "specificity": 0.90},
      "GB": {"sensitivity": 0.87, "specificity": 0.91}}),
    ("PathoPrime Prostate", "Tessaroc Pathology", "pathology",
     "Detects and grades prostate adenocarcinoma on whole-slide images",
     [("ce", "CE-TP-2210")],
     {"DE": {"sensitivity": 0.95, "specificity": 0.90}, "CH": {"sensitivity": 0.95, "specificity": 0.91}}),
    ("EchoFlow EF", "Cardiantis Labs", "cardiology",
     "Estimates left-ventricular ejection fraction from echocardiogram clips",
     [("fda-510k", "K231877")],
     {"US": {"accuracy": 0.91}, "CA": {"accuracy": 0.90}, "JP": {"accuracy": 0.90}}),
    ("ArrhythmiaGuard", "Pulsewright Medical", "cardiology",
     "Detects atrial fibrillation from single-lead wearable ECG",
     [("udi-di", "05060912345675")],
     {"US": {"sensitivity": 0.97, "specificity": 0.96}, "GB": {"sensitivity": 0.97, "specificity": 0.95},
      "AU": {"sensitivity": 0.96, "specificity": 0.96}}),
    ("FractureFind XR", "Osterbay Imaging", "radiology",
     "Highlights suspected appendicular fractures on plain radiographs",
     [("ukca", "UKCA-OB-0310")],
     {"GB": {"sensitivity": 0.94, "specificity": 0.89}, "CH": {"sensitivity": 0.94, "specificity": 0.90}}),
    ("TriageNote LLM", "Marrowgate Clinical Language", "emergency_medicine",
     "Large-language-model assistant summarising emergency department notes and suggesting triage category",
     [("ce", "CE-MCL-5012")],
     {"DE": {"accuracy": 0.86}, "GB": {"accuracy": 0.85}}),
    ("GlucoTrend Forecast", "Nimbrel Diabetes Tech", "endocrinology",
     "Forecasts hypoglycaemia 30 minutes ahead from CGM data",
     [("fda-510k", "K242205")],
     {"US": {"sensitivity": 0.85, "false_alarm_rate": 0.12}, "CA": {"sensitivity": 0.84, "false_alarm_rate": 0.13}}),
    ("MoodSignal", "Calderwyn Digital Therapeutics", "mental_health",
     "Flags risk of depressive relapse from smartphone usage patterns",
     [("ukca", "UKCA-CDT-0077")],
     {"GB": {"auroc": 0.78}}),
    ("CervixClear", "Ambervale Cytology AI", "pathology",
     "Prioritises cervical cytology slides with suspected high-grade lesions",
     [("ce", "CE-AVC-3390")],
     {"CH": {"sensitivity": 0.93, "specificity": 0.85}, "DE": {"sensitivity": 0.93, "specificity": 0.86},
      "SG": {"sensitivity": 0.92, "specificity": 0.85}}),
    ("FetalHeart Monitor AI", "Wrenfold Obstetric Systems", "obstetrics",
     "Classifies intrapartum cardiotocography traces for signs of fetal distress",
     [("udi-di", "07612345000019")],
     {"AU": {"sensitivity": 0.82, "specificity": 0.91}, "JP": {"sensitivity": 0.83, "specificity": 0.90}}),
    ("ColonoDetect", "Pellucid Endoscopy AI", "oncology",
     "Real-time polyp detection during colonoscopy",
     [("fda-510k", "K230456"), ("ce", "CE-PEA-4401")],
     {"US": {"sensitivity": 0.96, "specificity": 0.92}, "DE": {"sensitivity": 0.95, "specificity": 0.92},
      "JP": {"sensitivity": 0.96, "specificity": 0.93}, "GB": {"sensitivity": 0.95, "specificity": 0.92}}),
    ("RadReport Draft", "Thornquist Language Health", "radiology",
     "Large-language-model assistant drafting chest radiograph reports for radiologist sign-off",
     [("ukca", "UKCA-TLH-0508")],
     {"GB": {"hallucination_rate": 0.03, "major_error_rate": 0.015}, "US": {"hallucination_rate": 0.03}}),
]

# Registered versions (SPEC §10.2), in the order released: (version, released on, change summary,
# significant, PCCP as (member code, reference) or None).
VERSIONS: dict[str, list[tuple[str, str, str, bool, tuple[str, str] | None]]] = {
    "RadReport Draft": [
        ("3.1.0", "2025-03-03", "First release authorised in GB and the US.", True, None),
        ("3.2.0", "2025-09-15", "Longer context window; new prompt template for comparison studies.", False,
         ("FDA", "PCCP-K250771")),
        ("3.3.1", "2026-01-20", "Retrained on 2025 report corpus.", False, ("MHRA", "PCCP-UK-0042")),
        ("3.4.0", "2026-05-04", "Grounding check against the image findings; fixes invented prior comparisons.",
         True, ("FDA", "PCCP-K250771")),
    ],
}

# Safety alerts about the fictional tools above, one dict each. `ref` is the publisher's own reference
# (what makes seeding idempotent); `tools` are (tool name, affected versions[, fixed in]). The lifecycle is
# `draft` (stays a draft), else published, then each of `amendments` as (changes, change summary,
# material), then `close` (resolution) and/or `withdraw` (reason).
# Authorisations granted by reliance on another member's (SPEC §10.1): (tool, jurisdiction) →
# (the reference's jurisdiction, validity). The reference is recorded first (its jurisdiction comes
# first in the tool's baselines above). FDA's recall of GlucoTrend Forecast then opens HC's review.
RELIANCE = {
    ("GlucoTrend Forecast", "CA"): ("US", "follows_reference"),
    ("ArrhythmiaGuard", "GB"): ("US", "independent_after_grant"),
}

ALERTS: list[dict[str, Any]] = [
    {
        "ref": "MHRA-DSI-2026-031", "publisher": "MHRA", "alert_type": "software_defect", "severity": "medium",
        "distribution": "network",
        "title": "RadReport Draft 3.2 and 3.3 invent comparisons with prior studies",
        "summary": "Drafts from versions 3.2 and 3.3 describe changes since a prior radiograph that does not "
                   "exist; version 3.4.0 checks every comparison against the studies on file.",
        "description": "Blinded review of 1,200 drafts found statements such as 'unchanged since the previous "
                       "film' for patients with no earlier imaging. The manufacturer traced it to the prompt "
                       "template introduced in 3.2.0 and released a fix in 3.4.0.",
        "tools": [("RadReport Draft", ">=3.2,<3.4", "3.4.0")], "jurisdictions": ["GB", "US"],
        "hazard": "A report asserts stability of a finding that was never compared.",
        "harm": "Delayed work-up of a new abnormality.",
        "actions": "Install 3.4.0; until then, check every comparison statement in drafts against the record.",
        "imdrf": ["A0901"],
    },
    {
        "ref": "MHRA-DSI-2026-014", "publisher": "MHRA", "alert_type": "performance_degradation",
        "severity": "high", "distribution": "network",
        "title": "Reduced sensitivity for sub-solid lung nodules after CT scanner firmware update",
        "summary": "Sites running scanner firmware 7.2 report LungScan AI missing part-solid and ground-glass "
                   "nodules under 6 mm that it flagged before the update.",
        "description": "Three NHS trusts compared LungScan AI output before and after a scanner firmware update "
                       "that changed the default reconstruction kernel. On 1,240 re-read studies, sensitivity "
                       "for sub-solid nodules fell from 0.91 to 0.78. Solid nodules were not affected.",
        "tools": [("LungScan AI", ">=2.0,<2.4")], "jurisdictions": ["GB"],
        "hazard": "Nodules not flagged for radiologist review when the reconstruction kernel differs from the "
                  "one the model was validated on.",
        "harm": "Delayed diagnosis of early-stage lung cancer.",
        "actions": "Confirm the reconstruction kernel on every series sent to LungScan AI; double-read chest CT "
                   "acquired since the firmware update until the manufacturer's fix is installed.",
        "imdrf": ["A0901", "E0102"],
        "amendments": [
            ({"affected_jurisdictions": ["GB", "US", "CA"],
              "summary": "Sites running scanner firmware 7.2 or 7.3 report LungScan AI missing part-solid and "
                         "ground-glass nodules under 6 mm that it flagged before the update."},
             "Firmware 7.3 is affected too; the same installations exist in the US and Canada.", True),
        ],
    },
    {
        "ref": "FDA-CDRH-26-0113", "publisher": "FDA", "alert_type": "software_defect", "severity": "critical",
        "distribution": "public",
        "title": "StrokeSight notifications delayed after daylight-saving time change",
        "summary": "A time-zone handling defect holds large-vessel-occlusion notifications for up to 60 minutes "
                   "after the clock change.",
        "description": "The notification service compares study times in local time. For one hour after the "
                       "autumn clock change, studies are treated as not yet acquired and their results are "
                       "queued rather than sent to the stroke team.",
        "tools": [("StrokeSight", "3.1.0-3.1.2")], "jurisdictions": ["US", "JP"],
        "hazard": "Stroke team not alerted to a suspected large-vessel occlusion.",
        "harm": "Delayed thrombectomy and worse neurological outcome.",
        "actions": "Install StrokeSight 3.1.3. Until then, do not rely on notifications between 01:00 and 03:00 "
                   "on clock-change days; read CT angiography directly.",
        "imdrf": ["A1102"],
    },
    {
        "ref": "HC-MDS-2026-0207", "publisher": "HC", "alert_type": "bias_or_inequity", "severity": "high",
        "distribution": "restricted", "recipients": ["FDA", "MHRA"],
        "title": "Lower sepsis alert sensitivity in patients with chronic kidney disease",
        "summary": "Post-market review finds SepsisWatch Predict under-alerts in patients on dialysis, whose "
                   "baseline laboratory values differ from the training population.",
        "description": "A retrospective study at four Canadian hospitals (n = 8,310 admissions) found a "
                       "sensitivity of 0.64 in patients with stage 4-5 chronic kidney disease, against 0.80 "
                       "overall.",
        "tools": [("SepsisWatch Predict", "all versions")], "jurisdictions": ["CA", "US"],
        "hazard": "Sepsis not flagged in a subgroup with systematically different creatinine and lactate.",
        "harm": "Delayed antibiotics and escalation of care.",
        "actions": "Inform clinical teams that a missing alert does not rule out sepsis in patients on dialysis; "
                   "review local escalation protocols.",
        "imdrf": ["A0901"],
        "amendments": [
            ({"description": "A retrospective study at four Canadian hospitals (n = 8,310 admissions) found a "
                             "sensitivity of 0.64 (95% CI 0.58-0.70) in patients with stage 4-5 chronic kidney "
                             "disease, against 0.80 (0.78-0.82) overall."},
             "Added confidence intervals; no change to the finding.", False),
        ],
    },
    {
        "ref": "TGA-SA-2026-031", "publisher": "TGA", "alert_type": "bias_or_inequity", "severity": "medium",
        "distribution": "network",
        "title": "DermaCheck Mobile less sensitive for melanoma on darker skin types",
        "summary": "Real-world data show reduced sensitivity for Fitzpatrick skin types V-VI, which were "
                   "under-represented in the validation set.",
        "description": "An audit of 2,100 referrals across three states found a sensitivity of 0.74 for skin "
                       "types V-VI against 0.88 overall.",
        "tools": [("DermaCheck Mobile", "4.x")], "jurisdictions": ["AU", "GB", "SG"],
        "hazard": "Melanoma triaged as low risk.", "harm": "Delayed diagnosis of melanoma.",
        "actions": "Advise users with darker skin types to seek clinical review of changing lesions "
                   "regardless of the app's result.",
        "imdrf": ["A0901"],
    },
    {
        "ref": "SMC-VIG-2026-0042", "publisher": "SMC", "alert_type": "field_safety_notice", "severity": "medium",
        "distribution": "network",
        "title": "Field safety notice: slide-scanner colour profile mismatch affects Gleason grading",
        "summary": "PathoPrime Prostate over-grades tumours on slides digitised with an uncalibrated colour "
                   "profile.",
        "description": "The manufacturer's field safety notice describes up-grading of Gleason pattern 3 to 4 "
                       "when the scanner's ICC profile is missing.",
        "tools": [("PathoPrime Prostate", "2.2.0")], "jurisdictions": ["CH", "DE"],
        "hazard": "Over-grading of prostate adenocarcinoma.", "harm": "Overtreatment.",
        "actions": "Verify the scanner colour profile is installed; re-review cases graded 4+3 or higher since "
                   "installation.",
        "imdrf": ["A0701"],
        "close": "The manufacturer released 2.2.1, which refuses slides without a colour profile; all Swiss "
                 "sites have installed it.",
    },
    {
        "ref": "MHRA-DSI-2026-021", "publisher": "MHRA", "alert_type": "misuse", "severity": "high",
        "distribution": "network",
        "title": "TriageNote LLM used to draft discharge letters outside its intended purpose",
        "summary": "Emergency departments are using the note-summarising assistant to write discharge "
                   "letters, for which it is not intended or validated.",
        "description": "Reports to the Yellow Card scheme describe medication omissions in discharge letters "
                       "drafted by TriageNote LLM and sent without review.",
        "tools": [("TriageNote LLM", "1.4")], "jurisdictions": ["GB", "DE"],
        "hazard": "Omitted or hallucinated medication in discharge letters.",
        "harm": "Medication errors after discharge.",
        "actions": "Remind staff that TriageNote LLM is intended only to summarise notes for triage; disable "
                   "the free-text prompt where the deployment allows.",
        "imdrf": ["E1301"],
    },
    {
        "ref": "FDA-CDRH-26-0158", "publisher": "FDA", "alert_type": "recall", "severity": "critical",
        "distribution": "public",
        "title": "Recall: GlucoTrend Forecast fails to warn of hypoglycaemia after sensor warm-up",
        "summary": "The manufacturer is recalling versions before 5.2: forecasts are suppressed for the first "
                   "two hours after a new CGM sensor starts.",
        "description": "A software change in 5.0 extended the warm-up exclusion window from 30 minutes to two "
                       "hours. Users are not told that forecasts are unavailable.",
        "tools": [("GlucoTrend Forecast", "<5.2")], "jurisdictions": ["US", "CA"],
        "hazard": "No hypoglycaemia warning during the first two hours of a sensor session.",
        "harm": "Severe hypoglycaemia.",
        "actions": "Update to 5.2 or later. Until then, use fingerstick checks during the first two hours of "
                   "each new sensor.",
        "imdrf": ["A1102", "E0501"],
        "amendments": [
            ({"tools": [("GlucoTrend Forecast", "<5.2.1")],
              "summary": "The manufacturer is recalling versions before 5.2.1: forecasts are suppressed for the "
                         "first two hours after a new CGM sensor starts."},
             "Version 5.2.0 is affected too; the fix is in 5.2.1.", True),
        ],
    },
    {
        "ref": "PMDA-SC-2026-009", "publisher": "PMDA", "alert_type": "performance_degradation",
        "severity": "high", "distribution": "restricted", "recipients": ["TGA"],
        "title": "More false reassurance from FetalHeart Monitor AI with new CTG transducers",
        "summary": "Hospitals that replaced CTG transducers report traces with signal loss classified as "
                   "normal.",
        "description": "Signal-loss segments from the new transducer model are interpolated before "
                       "classification, hiding decelerations.",
        "tools": [("FetalHeart Monitor AI", "all versions")], "jurisdictions": ["JP", "AU"],
        "hazard": "Pathological traces classified as normal.", "harm": "Undetected fetal distress.",
        "actions": "Do not rely on the classification when signal loss exceeds 15%; review traces manually.",
        "imdrf": ["A0901"],
    },
    {
        "ref": "HSA-FSCA-2026-017", "publisher": "HSA", "alert_type": "field_safety_notice", "severity": "low",
        "distribution": "network",
        "title": "Field safety notice: RetinaGrade report shows the wrong eye label",
        "summary": "The PDF report can swap the left and right eye labels when images are uploaded out of "
                   "order; grades themselves are correct.",
        "description": "The grading result is computed per image; only the label on the printed report is "
                       "affected.",
        "tools": [("RetinaGrade", "5.0.x")], "jurisdictions": ["SG", "GB", "US"],
        "hazard": "Referral for the wrong eye.", "harm": "Minor: repeat examination.",
        "actions": "Check the eye label against the image before acting on a referral.",
        "imdrf": ["A1601"],
        "close": "Fixed in RetinaGrade 5.1.0; all Singapore screening centres upgraded.",
    },
    {
        "ref": "BFARM-2026-0311", "publisher": "BFARM", "alert_type": "software_defect", "severity": "medium",
        "distribution": "network",
        "title": "CervixClear skips slides with barcodes printed at an angle",
        "summary": "Slides whose barcode cannot be read are silently left out of the prioritised worklist.",
        "description": "Reported by one German laboratory.",
        "tools": [("CervixClear", "3.0")], "jurisdictions": ["DE"],
        "hazard": "Slides not prioritised.", "harm": "Delayed reporting of high-grade lesions.",
        "actions": "Reconcile the worklist against the slide count each day.",
        "imdrf": ["A1102"],
        "withdraw": "Issued in error: the laboratory used a research build that was never placed on the market.",
    },
    {
        "ref": "MHRA-DSI-2026-027", "publisher": "MHRA", "alert_type": "cybersecurity", "severity": "critical",
        "distribution": "restricted", "recipients": ["FDA", "TGA"],
        "title": "ArrhythmiaGuard accepts ECG data from unauthenticated Bluetooth devices",
        "summary": "The companion app pairs with any device that advertises the wearable's service identifier, "
                   "so spoofed ECG strips can be analysed and reported as the patient's.",
        "description": "Coordinated disclosure by a security researcher; no exploitation known. Details are "
                       "shared with the listed regulators only until the fix is available.",
        "tools": [("ArrhythmiaGuard", "<4.3")], "jurisdictions": ["GB", "US", "AU"],
        "hazard": "Clinical decisions based on another person's or a fabricated ECG.",
        "harm": "Missed atrial fibrillation or unnecessary anticoagulation.",
        "actions": "Ask the manufacturer for the patched app; advise users to pair only at home.",
        "imdrf": ["A2101"],
        "amendments": [
            ({"recommended_actions": "Update the companion app to 4.3, which requires pairing with a code shown "
                                     "on the wearable; remove and re-pair existing devices."},
             "Fix released: version 4.3.", True),
        ],
    },
    {
        "ref": "FDA-CDRH-26-0199", "publisher": "FDA", "alert_type": "cybersecurity", "severity": "high",
        "distribution": "network",
        "title": "Outdated image library in ColonoDetect video capture module",
        "summary": "The capture module bundles an image-decoding library with a known remote-code-execution "
                   "vulnerability.",
        "description": "Exploitation requires network access to the endoscopy tower; no exploitation known.",
        "tools": [("ColonoDetect", "6.0-6.2")], "jurisdictions": ["US", "DE", "JP", "GB"],
        "hazard": "Compromise of the endoscopy workstation.", "harm": "Interrupted procedures; data exposure.",
        "actions": "Isolate endoscopy towers on a separate network segment; install 6.3 when available.",
        "imdrf": ["A2101"],
    },
    {
        "ref": "HC-MDS-2026-0244", "publisher": "HC", "alert_type": "safety_communication", "severity": "medium",
        "distribution": "public",
        "title": "EchoFlow EF overestimates ejection fraction in atrial fibrillation",
        "summary": "Estimates from a single beat in irregular rhythm run 5-8 points high.",
        "description": "Guidelines recommend averaging several beats in atrial fibrillation; EchoFlow EF uses "
                       "the first complete beat.",
        "tools": [("EchoFlow EF", "all versions")], "jurisdictions": ["CA", "US", "JP"],
        "hazard": "Overestimated ejection fraction.", "harm": "Under-treatment of heart failure.",
        "actions": "In atrial fibrillation, average at least five beats or confirm manually.",
        "imdrf": ["A0901"],
    },
    {
        "ref": "TGA-SA-2026-040", "publisher": "TGA", "alert_type": "safety_communication", "severity": "low",
        "distribution": "network",
        "title": "MammoRead Assist: reminder to keep double reading in screening programmes",
        "summary": "Some services have reduced to single reading plus MammoRead Assist, which is authorised "
                   "only as a second reader.",
        "description": "Communication to BreastScreen services following an inspection.",
        "tools": [("MammoRead Assist", "all versions")], "jurisdictions": ["AU"],
        "hazard": "Use outside the authorised reading workflow.", "harm": "Missed cancers.",
        "actions": "Keep two human readers; use MammoRead Assist only as authorised.",
        "imdrf": ["E1301"],
        "close": "All services confirmed double reading at follow-up inspection.",
    },
    {
        "ref": "SMC-VIG-2026-0051", "publisher": "SMC", "alert_type": "other", "severity": "low",
        "distribution": "network",
        "title": "FractureFind XR: translation error in French and Italian instructions for use",
        "summary": "The French and Italian instructions describe the confidence threshold the wrong way round.",
        "description": "The German and English versions are correct.",
        "tools": [("FractureFind XR", "2.x")], "jurisdictions": ["CH"],
        "hazard": "Threshold configured contrary to intention.", "harm": "More missed fractures.",
        "actions": "Check the configured threshold against the English instructions.",
        "imdrf": ["A1501"],
    },
    {
        "ref": "MHRA-DSI-2026-033", "publisher": "MHRA", "alert_type": "other", "severity": "medium",
        "distribution": "restricted", "recipients": ["HC"], "draft": True,
        "title": "MoodSignal relapse predictions after smartphone operating-system update",
        "summary": "Draft: early reports that an operating-system update changed the usage data MoodSignal "
                   "receives.",
        "description": "Under assessment with the manufacturer.",
        "tools": [("MoodSignal", "all versions")], "jurisdictions": ["GB"],
        "hazard": "Relapse risk under-estimated.", "harm": "Delayed contact with the care team.",
        "actions": "To be confirmed.",
        "imdrf": [],
    },
    {
        "ref": "FDA-CDRH-26-0210", "publisher": "FDA", "alert_type": "recall", "severity": "high",
        "distribution": "network", "draft": True,
        "title": "Draft: voluntary recall of SepsisWatch Predict model update 3.0",
        "summary": "The manufacturer intends to recall model update 3.0 after internal validation showed "
                   "calibration drift.",
        "description": "Awaiting the manufacturer's recall strategy.",
        "tools": [("SepsisWatch Predict", "3.0")], "jurisdictions": ["US"],
        "hazard": "Miscalibrated risk scores.", "harm": "Missed or unnecessary sepsis work-ups.",
        "actions": "Revert to model 2.7.",
        "imdrf": ["A0901"],
    },
    {
        "ref": "PMDA-SC-2026-012", "publisher": "PMDA", "alert_type": "misuse", "severity": "low",
        "distribution": "network",
        "title": "EchoFlow EF used on paediatric echocardiograms",
        "summary": "Reports of use in children, for whom the tool is not validated.",
        "description": "Two paediatric cardiology units reported use on patients under 12.",
        "tools": [("EchoFlow EF", "all versions")], "jurisdictions": ["JP"],
        "hazard": "Unvalidated estimates in children.", "harm": "Misclassification of cardiac function.",
        "actions": "Do not use in patients under 18.",
        "imdrf": ["E1301"],
        "close": "Both units stopped paediatric use.",
        "withdraw": "Withdrawn: the units were using a research licence outside the marketed product.",
    },
    {
        "ref": "HSA-FSCA-2026-021", "publisher": "HSA", "alert_type": "recall", "severity": "medium",
        "distribution": "public",
        "title": "Recall of DermaCheck Mobile 4.2 from app stores",
        "summary": "Version 4.2 was withdrawn from app stores after a camera-calibration defect on some "
                   "phones.",
        "description": "Images from affected phone models were over-exposed, lowering risk scores.",
        "tools": [("DermaCheck Mobile", "4.2")], "jurisdictions": ["SG", "AU", "GB"],
        "hazard": "Lesions under-scored.", "harm": "Delayed referral.",
        "actions": "Update to 4.2.1; repeat assessments made with 4.2.",
        "imdrf": ["A0701"],
        "close": "Version 4.2.1 released; 4.2 no longer installable.",
    },
    {
        "ref": "BFARM-2026-0340", "publisher": "BFARM", "alert_type": "performance_degradation",
        "severity": "critical", "distribution": "network",
        "title": "TriageNote LLM under-triages chest pain after model update",
        "summary": "After the 1.5 model update, the assistant suggests a lower triage category for chest pain "
                   "in women.",
        "description": "An emergency department audit of 3,400 presentations found under-triage in 9% of "
                       "women with chest pain, against 3% before the update.",
        "tools": [("TriageNote LLM", "1.5")], "jurisdictions": ["DE", "GB"],
        "hazard": "Under-triage of acute coronary syndrome.", "harm": "Delayed treatment of myocardial infarction.",
        "actions": "Roll back to 1.4 or require a clinician to confirm every suggested category.",
        "imdrf": ["A0901"],
        "amendments": [
            ({"summary": "After the 1.5 model update, the assistant suggests a lower triage category for chest "
                         "pain, most often in women."},
             "Wording clarified.", False),
            ({"affected_jurisdictions": ["DE", "GB", "CH"],
              "recommended_actions": "Roll back to 1.4. Version 1.5 must not be used for triage suggestions."},
             "Rollback now mandatory; Swiss sites received the same update.", True),
        ],
    },
    {
        "ref": "HC-MDS-2026-0260", "publisher": "HC", "alert_type": "software_defect", "severity": "high",
        "distribution": "network",
        "title": "LungScan AI and FractureFind XR misread series orientation from one PACS vendor",
        "summary": "Studies from one PACS vendor are processed mirrored, misplacing findings left-right.",
        "description": "Under investigation.",
        "tools": [("LungScan AI", "2.3"), ("FractureFind XR", "2.1")], "jurisdictions": ["CA"],
        "hazard": "Findings reported on the wrong side.", "harm": "Wrong-site follow-up.",
        "actions": "Check laterality against the source images.",
        "imdrf": ["A1102"],
        "withdraw": "Issued in error: the orientation fault was in the local PACS configuration, not the tools.",
    },
    {
        "ref": "TGA-SA-2026-046", "publisher": "TGA", "alert_type": "field_safety_notice", "severity": "critical",
        "distribution": "public", "draft": True,
        "title": "Draft field safety notice: ArrhythmiaGuard battery report hides recording gaps",
        "summary": "Draft: recording gaps during low battery may be reported as sinus rhythm.",
        "description": "Awaiting the manufacturer's field safety notice.",
        "tools": [("ArrhythmiaGuard", "4.x")], "jurisdictions": ["AU"],
        "hazard": "Gaps reported as normal rhythm.", "harm": "Missed atrial fibrillation.",
        "actions": "To be confirmed with the manufacturer.",
        "imdrf": ["A1102"],
    },
    {
        "ref": "SMC-VIG-2026-0058", "publisher": "SMC", "alert_type": "cybersecurity", "severity": "low",
        "distribution": "public",
        "title": "PathoPrime Prostate web viewer: session not closed on logout",
        "summary": "The web viewer keeps the session open for 30 minutes after logout on shared workstations.",
        "description": "Low risk: the viewer is only reachable from the hospital network.",
        "tools": [("PathoPrime Prostate", "2.x")], "jurisdictions": ["CH", "DE"],
        "hazard": "Access to patient images by the next user.", "harm": "Privacy breach.",
        "actions": "Close the browser after use; install 2.3 when released.",
        "imdrf": ["A2101"],
    },
    {
        "ref": "MHRA-DSI-2026-039", "publisher": "MHRA", "alert_type": "safety_communication", "severity": "high",
        "distribution": "network",
        "title": "AI detection tools in endoscopy and imaging: keep human review of negative results",
        "summary": "A reminder, following several incidents, that a negative result from an AI detection tool "
                   "does not replace clinical review.",
        "description": "Incidents involved ColonoDetect and LungScan AI being treated as a final read.",
        "tools": [("ColonoDetect", "all versions"), ("LungScan AI", "all versions")], "jurisdictions": ["GB"],
        "hazard": "Automation bias.", "harm": "Missed lesions.",
        "actions": "Brief clinical teams; audit that negative AI results are reviewed.",
        "imdrf": ["E1301"],
    },
]


def _m(metric: str, numerator: int, denominator: int) -> dict[str, Any]:
    return {"metric": metric, "value": round(numerator / denominator, 4), "numerator": numerator,
            "denominator": denominator}


def _radreport(key: str, publisher: str, version: str, country: str, period: tuple[str, str],
               hallucinated: int, major: int, reports: int) -> dict[str, Any]:
    """A RadReport Draft audit: drafts with an invented finding, and with a major error, out of `reports`."""
    return {"key": key, "publisher": publisher, "tool": "RadReport Draft", "tool_version": version,
            "period_start": period[0], "period_end": period[1], "setting": "Emergency department chest radiographs",
            "country": country, "population": "Adults", "sample_size": reports,
            "method": "Blinded review of drafts against the signed report", "distribution": "network",
            "metrics": [_m("hallucination_rate", hallucinated, reports), _m("major_error_rate", major, reports)]}


# Real-world performance reports. MammoRead Assist drifts below its declared sensitivity in two
# jurisdictions and does worse still in women over 70: the demo shows both kinds of signal.
REPORTS: list[dict[str, Any]] = [
    {"key": "mhra-mammo-2026h1", "publisher": "MHRA", "tool": "MammoRead Assist", "tool_version": "3.2",
     "period_start": "2026-01-01", "period_end": "2026-06-30", "setting": "National breast screening programme",
     "country": "GB", "population": "Women 50–71 attending routine screening", "sample_size": 24000,
     "method": "Prospective audit against double reading with arbitration",
     "distribution": "network",
     "metrics": [_m("sensitivity", 800, 1000), _m("specificity", 22080, 23000)],
     "subgroups": [{"label": "age 70+", "dimension": "age band", "metrics": [_m("sensitivity", 62, 100)]}]},
    {"key": "bfarm-mammo-2026h1", "publisher": "BFARM", "tool": "MammoRead Assist", "tool_version": "3.2",
     "period_start": "2026-01-01", "period_end": "2026-06-30", "setting": "Regional screening units, three Länder",
     "country": "DE", "population": "Women 50–75", "sample_size": 18000,
     "method": "Retrospective comparison with interval-cancer registry", "distribution": "network",
     "metrics": [_m("sensitivity", 632, 800), _m("specificity", 16320, 17200)],
     "subgroups": [{"label": "age 70+", "dimension": "age band", "metrics": [_m("sensitivity", 40, 70)]}]},
    {"key": "tga-mammo-2025h2", "publisher": "TGA", "tool": "MammoRead Assist", "tool_version": "3.1",
     "period_start": "2025-07-01", "period_end": "2025-12-31", "setting": "Metropolitan screening service",
     "country": "AU", "population": "Women 50–74", "sample_size": 9000,
     "method": "Prospective audit against double reading", "distribution": "network",
     "metrics": [_m("sensitivity", 352, 400), _m("specificity", 7900, 8600)]},
    {"key": "fda-lungscan-2026h1", "publisher": "FDA", "tool": "LungScan AI", "tool_version": "2.3",
     "period_start": "2026-01-01", "period_end": "2026-06-30", "setting": "Academic medical centres (4 sites)",
     "country": "US", "population": "Adults undergoing chest CT", "sample_size": 5200,
     "method": "Retrospective reader study against consensus panel", "distribution": "public",
     "metrics": [_m("sensitivity", 460, 500), _m("specificity", 4180, 4700)]},
    {"key": "hc-sepsis-2026h1", "publisher": "HC", "tool": "SepsisWatch Predict", "tool_version": "5.0",
     "period_start": "2026-01-01", "period_end": "2026-06-30", "setting": "Adult inpatient wards, 6 hospitals",
     "country": "CA", "population": "Adult inpatients", "sample_size": 31000,
     "method": "Silent-mode prospective evaluation", "distribution": "restricted", "recipients": ["FDA"],
     "metrics": [{"metric": "auroc", "value": 0.79, "ci_low": 0.77, "ci_high": 0.81}, _m("sensitivity", 610, 800)]},
    {"key": "mhra-arrhythmia-2026h1", "publisher": "MHRA", "tool": "ArrhythmiaGuard", "tool_version": "1.8",
     "period_start": "2026-01-01", "period_end": "2026-06-30", "setting": "Community cardiology clinics",
     "country": "GB", "population": "Adults with palpitations", "sample_size": 3000,
     "method": "Comparison with 14-day patch Holter", "distribution": "network",
     "metrics": [_m("sensitivity", 291, 300), _m("specificity", 2565, 2700)]},
    # RadReport Draft: 3.2 and 3.3 invent prior comparisons; 3.4.0 fixes it, so the fix check says "improved".
    _radreport("mhra-radreport-3.2", "MHRA", "3.2.0", "GB", ("2025-10-01", "2025-12-31"), 58, 21, 1200),
    _radreport("fda-radreport-3.3", "FDA", "3.3.1", "US", ("2026-01-01", "2026-04-30"), 71, 24, 1500),
    _radreport("mhra-radreport-3.4", "MHRA", "3.4.0", "GB", ("2026-05-01", "2026-08-31"), 14, 9, 1400),
    _radreport("fda-radreport-3.4", "FDA", "3.4.0", "US", ("2026-05-01", "2026-08-31"), 16, 11, 1300),
]
