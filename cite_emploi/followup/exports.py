"""Export of one person's data (right of access and portability): a dict that becomes JSON or a PDF.

The export holds what the exporting professional may read: lines of the timeline reserved to another
organisation are counted, not included (that organisation exports them on request).
"""

from django.utils import timezone

from cite_emploi.partners import enums

from . import queries
from .models import AgeGroup, Beneficiary, ProfessionalProject, Referral
from .services import CONTRACT_LABELS


def _d(value):
    return value.isoformat() if value else None


def _dt(value):
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def _user(user):
    return (user.get_full_name() or user.email) if user else None


def person_data(beneficiary: Beneficiary, scope) -> dict:
    follow_up = beneficiary.follow_up
    project = ProfessionalProject.objects.filter(follow_up=follow_up).prefetch_related("target_jobs").first()
    referrals = Referral.objects.filter(follow_up=follow_up).select_related(
        "service", "receiving_organisation", "sender_organisation"
    )
    return {
        "export": {
            "genere_le": _dt(timezone.now()),
            "territoire": str(beneficiary.territory),
            "fiche": beneficiary.pk,
            "lignes_du_parcours_reservees_a_une_autre_organisation": queries.hidden_event_count(
                follow_up, scope
            ),
        },
        "identite": {
            "prenom": beneficiary.first_name,
            "nom": beneficiary.last_name,
            "date_de_naissance": _d(beneficiary.birth_date),
            "tranche_d_age": dict(AgeGroup.choices).get(beneficiary.age_group),
            "sexe": beneficiary.get_sex_display(),
            "telephone": beneficiary.phone,
            "courriel": beneficiary.email,
            "identifiant_france_travail": beneficiary.france_travail_id,
            "niveau_de_diplome": beneficiary.get_diploma_level_display() if beneficiary.diploma_level else "",
        },
        "adresse": {
            "adresse": beneficiary.address,
            "code_postal": beneficiary.postcode,
            "commune": beneficiary.commune.name if beneficiary.commune else None,
            "qpv": f"{beneficiary.qpv.name} ({beneficiary.qpv.code})" if beneficiary.qpv else None,
            "dans_le_perimetre": beneficiary.in_perimeter,
            "localisation": beneficiary.get_located_by_display() if beneficiary.located_by else "",
            "longitude": beneficiary.longitude,
            "latitude": beneficiary.latitude,
        },
        "situation": [
            {
                "nature": f.get_kind_display(),
                "valeur": f.value,
                "depuis": _d(f.started_on),
                "jusqu_au": _d(f.ended_on),
            }
            for f in beneficiary.facts.all()
        ],
        "consentements": [
            {
                "recueilli_le": _d(c.given_on),
                "portee": c.get_scope_display(),
                "recueilli_par": _user(c.collected_by),
                "organisation": c.organisation.name,
                "formulaire_numerise": bool(c.document),
                "retire_le": _d(c.withdrawn_on),
            }
            for c in beneficiary.consents.select_related("collected_by", "organisation")
        ],
        "suivi": {
            "statut": follow_up.get_status_display(),
            "entree": _d(follow_up.opened_on),
            "sortie": _d(follow_up.closed_on),
            "motif_de_sortie": follow_up.closing_reason,
            "membres": [
                {
                    "professionnel": _user(m.user),
                    "organisation": m.organisation.name,
                    "referent": m.is_referent,
                    "depuis": _d(m.started_on),
                    "jusqu_au": _d(m.ended_on),
                    "motif_de_fin": m.end_reason,
                }
                for m in queries.members(follow_up)
            ],
        },
        "freins": [
            {
                "categorie": enums.label(b.category),
                "thematique": enums.label(b.thematique),
                "statut": b.get_status_display(),
                "identifie_le": _d(b.identified_on),
                "statut_depuis": _d(b.status_changed_on),
                "historique": [
                    {"statut": c.get_status_display(), "depuis_le": _d(c.changed_on)}
                    for c in sorted(b.status_changes.all(), key=lambda c: (c.changed_on, c.pk))
                ],
                "precisions": b.notes,
            }
            for b in follow_up.barriers.order_by("identified_on", "pk").prefetch_related("status_changes")
        ],
        "projet_professionnel": {
            "metiers_vises": [f"{a.label} ({a.code})" for a in project.target_jobs.all()],
            "contrats_recherches": [ProfessionalProject.Contract(c).label for c in project.contracts],
            "mobilite_km": project.mobility_km,
            "permis_b": project.has_driving_licence,
            "vehicule": project.has_vehicle,
            "precisions": project.notes,
        }
        if project
        else None,
        "orientations": [
            {
                "service": r.service.name,
                "vers": r.receiving_organisation.name,
                "par": r.sender_organisation.name,
                "statut": r.get_status_display(),
                "envoyee_le": _dt(r.sent_at),
                "reponse_le": _dt(r.answered_at),
                "message": r.message,
            }
            for r in referrals
        ],
        "sorties": [
            {
                "nature": o.get_kind_display(),
                "contrat": CONTRACT_LABELS.get(o.contract, o.contract),
                "date": _d(o.occurred_on),
                "precisions": o.details,
            }
            for o in follow_up.outcomes.all()
        ],
        "parcours": [
            {
                "date": _dt(e.at),
                "nature": e.get_kind_display(),
                "texte": e.text,
                "auteur": _user(e.author),
                "organisation": e.organisation.name if e.organisation else None,
                "visible_par": e.get_visibility_display(),
            }
            for e in queries.visible_events(follow_up, scope)
        ],
    }
