import pytest
from data_inclusion.schema import v1

from cite_emploi.partners import legacy
from cite_emploi.partners.data_inclusion import validation_errors


def v0_service(**fields):
    return {
        "source": "odspep",
        "id": "s-1",
        "structure_id": "st-1",
        "nom": "Accompagnement",
        "date_maj": "2024-06-01",
        **fields,
    }


# -- The tables only point to values the installed schema knows -----------------------------------


def test_every_target_of_the_tables_is_a_v1_value():
    assert {t for targets in legacy.THEMATIQUES_V0.values() for t in targets} <= legacy.V1_THEMATIQUES
    assert {p for targets in legacy.PUBLICS_BY_PROFIL.values() for p in targets} <= legacy.V1_PUBLICS
    assert set(legacy.FRAIS_V0.values()) <= legacy.V1_FRAIS
    assert {target for _, target in legacy.TYPE_RULES} <= legacy.V1_TYPES
    assert set(filter(None, legacy.RESEAUX_BY_TYPOLOGIE.values())) <= legacy.V1_RESEAUX
    assert set(filter(None, legacy.RESEAUX_BY_LABEL.values())) <= legacy.V1_RESEAUX


def test_categories_of_v0_map_to_every_sub_thematique_of_the_v1_category():
    assert set(legacy.THEMATIQUES_V0["mobilite"]) == {
        t for t in legacy.V1_THEMATIQUES if t.startswith("mobilite--")
    }
    assert len(legacy.THEMATIQUES_V0["gestion-financiere"]) == 5


def test_regions_list_their_departments():
    assert legacy.DEPARTEMENTS_BY_REGION["11"] == ("75", "77", "78", "91", "92", "93", "94", "95")
    assert legacy.DEPARTEMENTS_BY_REGION["94"] == ("2A", "2B")
    departments = [d for ds in legacy.DEPARTEMENTS_BY_REGION.values() for d in ds]
    assert len(departments) == len(set(departments)) == 101


# -- Services -------------------------------------------------------------------------------------


def test_a_v1_record_is_left_alone():
    record = v0_service(description="Une description suffisante.", publics=["jeunes"], frais="gratuit")
    before = dict(record)

    assert legacy.convert_service(record) == []
    assert record == before


def test_profils_become_publics():
    record = v0_service(profils=["jeunes-16-26", "seniors-65", "adultes"])

    notes = legacy.convert_service(record)

    assert record["publics"] == ["jeunes", "seniors"]
    assert "profils" not in record
    assert "profils=[jeunes-16-26, seniors-65, adultes] → publics=[jeunes, seniors]" in notes


def test_tous_publics_wins_and_handicap_thematiques_add_the_public():
    everyone = v0_service(profils=["femmes", "tous-publics"])
    legacy.convert_service(everyone)
    assert everyone["publics"] == ["tous-publics"]

    record = v0_service(profils=["femmes"], thematiques=["handicap--faire-reconnaitre-un-handicap"])
    legacy.convert_service(record)
    assert record["publics"] == ["femmes", "personnes-en-situation-de-handicap"]
    assert record["thematiques"] == ["sante--constituer-un-dossier-mdph-invalidite"]


def test_tenants_and_owners_become_an_access_condition():
    record = v0_service(profils=["proprietaires"], conditions_acces="Sur rendez-vous.")

    legacy.convert_service(record)

    assert record["conditions_acces"] == "Sur rendez-vous.\nLe bénéficiaire doit être propriétaire."
    assert record["publics"] == ["actifs"]


@pytest.mark.parametrize(
    "zone_type,code,expected,note",
    [
        (
            "commune",
            "94028",
            ["94028"],
            "zone_diffusion_type=commune + zone_diffusion_code=94028 → zone_eligibilite=[94028]",
        ),
        (
            "departement",
            "94",
            ["94"],
            "zone_diffusion_type=departement + zone_diffusion_code=94 → zone_eligibilite=[94]",
        ),
        ("epci", "200058006", ["200058006"], None),
        ("region", "94", ["2A", "2B"], None),
        ("pays", None, ["france"], "zone_diffusion_type=pays → zone_eligibilite=[france]"),
    ],
)
def test_zone_de_diffusion_becomes_zone_eligibilite(zone_type, code, expected, note):
    record = v0_service(zone_diffusion_type=zone_type, zone_diffusion_code=code, zone_diffusion_nom="Nom")

    notes = legacy.convert_service(record)

    assert record["zone_eligibilite"] == expected
    assert not {"zone_diffusion_type", "zone_diffusion_code", "zone_diffusion_nom"} & record.keys()
    if note:
        assert note in notes


def test_a_zone_without_code_is_dropped_with_a_note():
    record = v0_service(zone_diffusion_type="commune")

    notes = legacy.convert_service(record)

    assert "zone_eligibilite" not in record
    assert "zone_diffusion_type=commune retirés (zone non convertible)" in notes


def test_fees_as_a_list_become_one_value_payant_first():
    record = v0_service(frais=["gratuit-sous-conditions", "adhesion"], frais_autres="5 € par an")

    notes = legacy.convert_service(record)

    assert record["frais"] == "payant" and record["frais_precisions"] == "5 € par an"
    assert "frais (liste)=[gratuit-sous-conditions, adhesion] → frais=payant" in notes
    free = v0_service(frais=["pass-numerique"])
    legacy.convert_service(free)
    assert free["frais"] == "gratuit"


@pytest.mark.parametrize(
    "types,expected",
    [
        (["accompagnement", "financement"], "aide-financiere"),
        (["numerique"], "atelier"),
        (["accueil"], "information"),
        (["autonomie", "formation"], "aide-materielle"),
        (["delegation"], None),
    ],
)
def test_types_become_one_type(types, expected):
    record = v0_service(types=types)

    legacy.convert_service(record)

    assert record.get("type") == expected and "types" not in record


def test_modes_orientation_become_modes_mobilisation_and_mobilisable_par():
    record = v0_service(
        modes_orientation_beneficiaire=["telephoner", "se-presenter"],
        modes_orientation_accompagnateur=["completer-le-formulaire-dadhesion"],
        modes_orientation_beneficiaire_autres="Le matin",
        formulaire_en_ligne="https://exemple.fr/formulaire",
    )

    legacy.convert_service(record)

    assert record["modes_mobilisation"] == ["se-presenter", "telephoner", "utiliser-lien-mobilisation"]
    assert record["mobilisable_par"] == ["usagers", "professionnels"]
    assert record["lien_mobilisation"] == "https://exemple.fr/formulaire"
    assert record["mobilisation_precisions"] == "Le matin"


def test_v1_values_present_take_precedence_over_v0_ones():
    record = v0_service(
        publics=["femmes"], profils=["jeunes"], zone_eligibilite=["94"], zone_diffusion_type="pays"
    )

    notes = legacy.convert_service(record)

    assert record["publics"] == ["femmes"] and record["zone_eligibilite"] == ["94"]
    assert "profils ignorés : publics déjà renseignés" in notes


def test_v0_thematiques_are_converted_unknown_ones_are_kept_for_validation():
    record = v0_service(
        thematiques=[
            "apprendre-francais--suivre-formation",
            "trouver-un-emploi--maintien-dans-lemploi",
            "inventee",
        ]
    )

    legacy.convert_service(record)

    assert record["thematiques"] == [
        "lecture-ecriture-calcul--maitriser-le-francais",
        "trouver-un-emploi--maintien-dans-lemploi",
        "inventee",
    ]


def test_presentation_becomes_description_and_obsolete_fields_go():
    record = v0_service(
        presentation_resume="Court.",
        presentation_detail="Une présentation détaillée du service.",
        cumulable=True,
        date_creation="2020-01-01",
        recurrence="Tous les lundis",
        pre_requis=["Savoir lire"],
        nombre_semaines=0,
    )

    notes = legacy.convert_service(record)

    assert record["description"] == "Une présentation détaillée du service."
    assert record["horaires_accueil"] == "Tous les lundis"
    assert record["conditions_acces"] == "Prérequis : Savoir lire."
    assert record["nombre_semaines"] is None
    assert "cumulable retiré (champ supprimé en v1)" in notes
    assert not validation_errors(v1.Service, record)


def test_date_maj_with_a_time_keeps_its_day():
    record = v0_service(description="Une description suffisante.", date_maj="2024-06-01T10:15:00+02:00")

    assert legacy.convert_service(record) == [
        "date_maj=2024-06-01T10:15:00+02:00 → date_maj=2024-06-01 (heure retirée)"
    ]
    assert record["date_maj"] == "2024-06-01"


def test_a_full_v0_service_validates_once_converted():
    record = v0_service(
        presentation_resume="Un conseiller vous suit jusqu'à l'emploi.",
        types=["accompagnement"],
        thematiques=["trouver-un-emploi", "illettrisme"],
        profils=["demandeurs-demploi", "personnes-de-nationalite-etrangere"],
        frais=["gratuit"],
        zone_diffusion_type="departement",
        zone_diffusion_code="94",
        modes_orientation_accompagnateur=["envoyer-un-mail"],
        contact_public=True,
    )

    legacy.convert_service(record)

    assert not validation_errors(v1.Service, record)


# -- Structures -----------------------------------------------------------------------------------


def test_a_v0_structure_is_converted():
    record = {
        "source": "odspep",
        "id": "st-1",
        "nom": "CCAS de Créteil",
        "date_maj": "2024-06-01",
        "typologie": "CCAS",
        "labels_nationaux": ["france-service", "aptic"],
        "presentation_resume": "Le CCAS accompagne les habitants.",
        "horaires_ouverture": "Mo-Fr 09:00-17:00",
        "accessibilite": "https://acceslibre.beta.gouv.fr/app/erp/ccas/",
        "antenne": True,
        "rna": "W123456789",
    }

    notes = legacy.convert_structure(record)

    assert record["reseaux_porteurs"] == ["ccas-cias", "france-service"]
    assert record["description"] == "Le CCAS accompagne les habitants."
    assert record["horaires_accueil"] == "Mo-Fr 09:00-17:00"
    assert record["accessibilite_lieu"].startswith("https://acceslibre")
    assert not legacy.STRUCTURE_LEGACY_FIELDS & record.keys()
    assert "typologie=CCAS → reseaux_porteurs=[ccas-cias]" in notes
    assert "antenne retiré (champ supprimé en v1)" in notes
    assert "labels_nationaux sans réseau porteur correspondant, retirés : aptic" in notes
    assert not validation_errors(v1.Structure, record)


def test_an_old_record_with_only_empty_old_fields_says_so():
    record = {
        "source": "s",
        "id": "1",
        "nom": "Structure",
        "date_maj": "2024-01-01",
        "antenne": None,
        "rna": None,
    }

    notes = legacy.convert_structure(record)

    assert notes == ["champs vides de l'ancien schéma retirés : antenne, rna"]
    assert "antenne" not in record


def test_a_bad_email_gets_a_french_message():
    errors = validation_errors(v1.Service, {"courriel": "pas-un-courriel"})
    email = [e for e in errors if e.field == "courriel"]
    assert [e.message for e in email] == [
        "adresse électronique invalide : attendu par exemple nom@domaine.fr"
    ]


def test_values_that_are_not_strings_are_left_for_the_validation():
    record = {"thematiques": [["emploi"], "emploi--faire-des-candidatures"], "frais": [["gratuit"]]}
    legacy.convert_service(record)
    assert record["frais"] == [["gratuit"]]
    assert ["emploi"] in record["thematiques"]
