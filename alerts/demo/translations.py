"""Demo translations (SPEC §10.5): two alerts read in French and in Japanese, each signed by the member
that wrote it; and one demo user per language. Safe to run twice: what is there is left alone."""

from __future__ import annotations

from collections.abc import Callable

from alerts.models import Alert, AlertTranslation
from alerts.services.translations import translation_add
from exchange.models import User
from exchange.services.preferences import preferences_clean, preferences_update

# (alert's publisher reference, translating user, language, source, title, summary, recommended actions)
TRANSLATIONS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("FDA-CDRH-26-0158", "assessor@hc.example", "fr", "member",
     "Rappel : GlucoTrend Forecast n'avertit pas de l'hypoglycémie après le démarrage d'un capteur",
     "Le fabricant rappelle les versions antérieures à 5.2 : les prévisions sont supprimées pendant les deux "
     "premières heures suivant le démarrage d'un nouveau capteur de glucose en continu.",
     "Mettre à jour vers la version 5.2 ou ultérieure. D'ici là, contrôler la glycémie capillaire pendant les "
     "deux premières heures de chaque nouveau capteur."),
    ("FDA-CDRH-26-0158", "assessor@pmda.example", "ja", "member",
     "回収：GlucoTrend Forecast がセンサー起動後に低血糖を警告しない",
     "製造業者はバージョン 5.2 より前の製品を回収しています。新しい CGM センサーの起動後 2 時間は予測が表示されません。",
     "バージョン 5.2 以降に更新してください。それまでは、新しいセンサーを使い始めてから 2 時間は指先穿刺による血糖測定を行ってください。"),
    ("MHRA-DSI-2026-014", "assessor@hc.example", "fr", "member",
     "Sensibilité réduite pour les nodules pulmonaires subsolides après une mise à jour du micrologiciel du scanner",
     "Des établissements utilisant le micrologiciel 7.2 signalent que LungScan AI manque des nodules en verre "
     "dépoli et partiellement solides de moins de 6 mm qu'il détectait avant la mise à jour.",
     "Relire en double les examens tomodensitométriques acquis après la mise à jour du micrologiciel."),
    ("MHRA-DSI-2026-014", "assessor@pmda.example", "ja", "machine",
     "CT スキャナーのファームウェア更新後、亜充実性肺結節に対する感度が低下",
     "ファームウェア 7.2 を使用している施設から、LungScan AI が更新前に検出していた 6 mm 未満の部分充実性・すりガラス結節を見逃すとの報告があります。",
     "ファームウェア更新後に撮影された CT 検査はダブルリーディングを行ってください。"),
)
# One demo user per language of the portal (their own language wins once signed in).
LANGUAGE_USERS = (("viewer@mhra.example", "en"), ("assessor@hc.example", "fr"), ("viewer@smc.example", "es"),
                  ("viewer@pmda.example", "ja"))


def seed_translations(*, say: Callable[[str], None]) -> None:
    for reference, email, language, source, title, summary, actions in TRANSLATIONS:
        alert = Alert.objects.filter(publisher_reference=reference).exclude(status="draft").first()
        user = User.objects.select_related("member").filter(email=email).first()
        if alert is None or user is None:
            continue
        if AlertTranslation.objects.filter(alert=alert, language=language, member=user.member).exists():
            continue
        translation_add(actor=user, alert=alert, data={
            "language": language, "source": source, "title": title, "summary": summary,
            "recommended_actions": actions,
        })
        say(f"{alert.reference}: {language} by {user.member.code if user.member else '?'} ({source})")
    for email, language in LANGUAGE_USERS:
        user = User.objects.filter(email=email).first()
        if user is not None:
            preferences_update(actor=user, user=user, changes=preferences_clean({"language": language}))
            say(f"{email} reads the portal in {language}")
