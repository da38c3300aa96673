"""French answers for the API's errors: which parameter, what is wrong, what is expected."""

from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError

# pydantic error types → what a French reader is told.
MESSAGES = {
    "missing": "paramètre obligatoire manquant",
    "float_parsing": "nombre décimal attendu (point comme séparateur, ex. 2.4551)",
    "float_type": "nombre décimal attendu",
    "int_parsing": "nombre entier attendu",
    "greater_than_equal": "valeur trop petite (minimum {ge:g})",
    "less_than_equal": "valeur trop grande (maximum {le:g})",
    "string_too_long": "texte trop long (maximum {max_length} caractères)",
    "string_too_short": "texte trop court (minimum {min_length} caractères)",
    "enum": "valeur non reconnue (valeurs possibles : {expected})",
    "bool_parsing": "valeur attendue : true ou false",
    "date_from_datetime_parsing": "date attendue au format AAAA-MM-JJ",
    "date_parsing": "date attendue au format AAAA-MM-JJ",
}


def french_message(error: dict) -> str:
    template = MESSAGES.get(error.get("type", ""), "valeur invalide")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template


def field_name(error: dict) -> str:
    # ninja locations look like ("query", "params", "lon"); the last part is the parameter.
    loc = [
        str(part)
        for part in error.get("loc", ())
        if part not in ("query", "body", "path", "params", "payload")
    ]
    return ".".join(loc) or "requête"


def install(api) -> None:
    @api.exception_handler(ValidationError)
    def validation_error(request, exc):
        errors = [{"champ": field_name(e), "message": french_message(e)} for e in exc.errors]
        detail = " ; ".join(f"{e['champ']} : {e['message']}" for e in errors)
        return api.create_response(request, {"detail": detail, "erreurs": errors}, status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(
            request, {"detail": "Authentification requise : connectez-vous à la plateforme."}, status=401
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, {"detail": "Ressource introuvable."}, status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
