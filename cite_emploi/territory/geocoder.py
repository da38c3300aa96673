"""Address geocoding behind one interface.

Production talks to the national address API (Géoplateforme / API Adresse, fed by the BAN); a
self-hosted addok speaks the same protocol and is the offline alternative; tests run a local fake
server. With no geocoder configured, ``get_geocoder()`` returns None and the user picks the QPV by hand.

Every failure reaches callers as a ``GeocoderError`` whose message is French and can be shown as is.
Addresses may belong to the people followed, so they are never written to the logs.
"""

import csv
import io
import logging
import math
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Self

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

# The service answers 400 to a q outside 3..200 characters (counted in UTF-16 units, it runs on
# Node.js) or not starting with a letter or a digit, and to a limit outside 1..20 (Géoplateforme).
QUERY_MIN_CHARS = 3
QUERY_MAX_UTF16_UNITS = 200
MAX_LIMIT = 20
CITYCODE_RE = re.compile(r"^(\d{5}|\d[AB]\d{3})$")

DEFAULT_TIMEOUT = 5.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF = 0.3
# A batch of thousands of rows takes far longer than one search.
DEFAULT_CSV_TIMEOUT = 120.0
MAX_BACKOFF = 2.0
MAX_RETRY_AFTER = 5.0
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

# Private row number sent with each batch row, so answers are matched by id rather than trusted order.
ROW_ID_COLUMN = "cite_emploi_row"
# Rows the service skipped or could not place come back with empty coordinates or one of these.
CSV_NOT_FOUND_STATUSES = frozenset({"skipped", "not-found", "error"})

SEARCH_HINT = "Choisissez le quartier à la main."
BATCH_HINT = "Réessayez plus tard ; en attendant, les quartiers peuvent être choisis à la main."


@dataclass(frozen=True)
class GeocodedAddress:
    label: str
    lon: float
    lat: float
    score: float
    citycode: str | None
    postcode: str | None
    city: str | None
    kind: str | None  # housenumber, street, locality or municipality


class GeocoderError(Exception):
    """A geocoding failure; ``message`` is French and meant for the user."""

    reason = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class GeocoderNotConfigured(GeocoderError):
    reason = "not_configured"


class GeocoderUnavailable(GeocoderError):
    """Network failure, timeout, 5xx or 429 after every retry."""

    reason = "unavailable"


class GeocoderRejected(GeocoderError):
    """The service, or this adapter before sending, refused the request (4xx, invalid input)."""

    reason = "rejected"


class GeocoderBadAnswer(GeocoderError):
    """The answer could not be understood."""

    reason = "bad_answer"


class Geocoder:
    """Client of an API Adresse compatible service. Use it as a context manager to free its connections."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        csv_timeout: float = DEFAULT_CSV_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = _checked_base_url(base_url)
        if not (timeout > 0 and csv_timeout > 0 and retries >= 0 and backoff >= 0):
            raise GeocoderNotConfigured(
                f"La configuration du service de géocodage est invalide (délai ou essais). {SEARCH_HINT}"
            )
        self.timeout = timeout
        self.csv_timeout = csv_timeout
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
            headers={"User-Agent": "cite-emploi-geocoder/1"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def search(self, query: str, *, limit: int = 5, citycode: str | None = None) -> list[GeocodedAddress]:
        """Best matches first. The service always offers a best guess: callers judge ``score``."""
        text = clean_query(query)
        if len(text) < QUERY_MIN_CHARS:
            return []
        limit = max(1, min(int(limit), MAX_LIMIT))
        params = {"q": text, "limit": str(limit)}
        if citycode:
            params["citycode"] = _checked_citycode(citycode)
        response = self._send("GET", "search/", params=params, timeout=self.timeout, hint=SEARCH_HINT)
        results = _parse_features(response, SEARCH_HINT)
        return sorted(results, key=lambda address: address.score, reverse=True)[:limit]

    def reverse(self, lon: float, lat: float) -> GeocodedAddress | None:
        """The address nearest to a WGS84 point, or None when the service knows none around."""
        lon_number, lat_number = _number(lon), _number(lat)
        if not (_in_range(lon_number, 180) and _in_range(lat_number, 90)):
            raise GeocoderRejected(
                "Coordonnées invalides : longitude entre -180 et 180, latitude entre -90 et 90."
            )
        # Fixed notation: the service refuses exponents such as 1e-07.
        params = {"lon": f"{lon_number:.6f}", "lat": f"{lat_number:.6f}", "limit": "1"}
        response = self._send("GET", "reverse/", params=params, timeout=self.timeout, hint=SEARCH_HINT)
        results = _parse_features(response, SEARCH_HINT)
        return max(results, key=lambda address: address.score) if results else None

    def geocode_csv(
        self,
        rows: Iterable[dict[str, str]],
        *,
        columns: list[str],
        citycode_column: str | None = None,
        postcode_column: str | None = None,
        chunk_size: int = 5000,
    ) -> Iterator[tuple[dict, GeocodedAddress | None]]:
        """Each input row with its result (None when not found), in input order, one batch per chunk.

        Only the named columns leave the platform: the rest of a row may be personal data.
        Arguments are checked now; the requests go out as the iterator is consumed.
        """
        if not columns:
            raise ValueError("columns must name at least one address column")
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        sent = [ROW_ID_COLUMN, *dict.fromkeys([*columns, citycode_column, postcode_column])]
        sent = [name for name in sent if name]
        if ROW_ID_COLUMN in sent[1:]:
            raise ValueError(f"{ROW_ID_COLUMN} is reserved")
        fields: dict[str, str | list[str]] = {"columns": list(dict.fromkeys(columns))}
        if citycode_column:
            fields["citycode"] = citycode_column
        if postcode_column:
            fields["postcode"] = postcode_column
        return self._geocode_chunks(iter(rows), sent, list(dict.fromkeys(columns)), fields, chunk_size)

    def _geocode_chunks(
        self, rows: Iterator[dict], sent: list[str], columns: list[str], fields: dict, chunk_size: int
    ) -> Iterator[tuple[dict, GeocodedAddress | None]]:
        while chunk := list(islice(rows, chunk_size)):
            cells = [[_clean_cell(row.get(name)) for name in sent[1:]] for row in chunk]
            # Rows without any address text would only come back empty: they are not sent.
            wanted = [i for i, row_cells in enumerate(cells) if any(row_cells[: len(columns)])]
            results = self._post_chunk(wanted, cells, sent, fields) if wanted else {}
            for index, row in enumerate(chunk):
                yield row, results.get(index)

    def _post_chunk(
        self, wanted: list[int], cells: list[list[str]], sent: list[str], fields: dict
    ) -> dict[int, GeocodedAddress | None]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(sent)
        writer.writerows([str(index), *cells[index]] for index in wanted)
        upload = {"data": ("adresses.csv", buffer.getvalue().encode("utf-8"), "text/csv")}
        response = self._send(
            "POST", "search/csv/", data=fields, files=upload, timeout=self.csv_timeout, hint=BATCH_HINT
        )
        return _parse_csv_answer(response, wanted)

    def _send(self, method: str, path: str, *, timeout: float, hint: str, **kwargs) -> httpx.Response:
        attempts = self.retries + 1
        for attempt in range(attempts):
            response = None
            try:
                response = self._http.request(method, path, timeout=timeout, **kwargs)
            except httpx.TimeoutException as exc:
                failure: GeocoderError = GeocoderUnavailable(
                    f"Le service de géocodage ne répond pas (délai de {_seconds(timeout)} dépassé). {hint}"
                )
                cause: Exception = exc
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                failure, cause = GeocoderUnavailable(f"Le service de géocodage est injoignable. {hint}"), exc
            except httpx.HTTPError as exc:
                # Unsupported scheme, proxy refusal, invalid request: retrying would not help.
                raise GeocoderUnavailable(f"Le service de géocodage est injoignable. {hint}") from exc
            else:
                if response.is_success:
                    return response
                failure, cause = _status_failure(response.status_code, hint), None
                if response.status_code not in RETRYABLE_STATUSES:
                    logger.warning("Geocoder %s %s refused: HTTP %d", method, path, response.status_code)
                    raise failure
            if attempt + 1 == attempts:
                logger.warning(
                    "Geocoder %s %s failed after %d attempt(s): %s", method, path, attempts, failure
                )
                raise failure from cause
            time.sleep(self._delay(attempt, response))
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("Retry-After", "") if response is not None else ""
        try:
            asked = float(retry_after)
        except ValueError:
            asked = math.nan
        if math.isfinite(asked):
            return min(max(asked, 0.0), MAX_RETRY_AFTER)
        # No usable Retry-After (absent, or an HTTP date): exponential backoff.
        return min(self.backoff * 2**attempt, MAX_BACKOFF)


def get_geocoder() -> Geocoder | None:
    """The geocoder of ``settings.GEOCODER``, read now so tests can override it; None when no URL is set."""
    config = getattr(settings, "GEOCODER", None) or {}
    url = str(config.get("URL") or "").strip()
    if not url:
        return None
    try:
        timeout = float(config.get("TIMEOUT", DEFAULT_TIMEOUT))
        retries = int(config.get("RETRIES", DEFAULT_RETRIES))
        backoff = float(config.get("BACKOFF", DEFAULT_BACKOFF))
        csv_timeout = float(config.get("CSV_TIMEOUT", max(DEFAULT_CSV_TIMEOUT, timeout)))
    except (TypeError, ValueError) as exc:
        raise GeocoderNotConfigured(
            f"La configuration du service de géocodage est invalide (GEOCODER). {SEARCH_HINT}"
        ) from exc
    return Geocoder(url, timeout=timeout, retries=retries, backoff=backoff, csv_timeout=csv_timeout)


def clean_query(query: str) -> str:
    """Free text reshaped into what the service accepts; shorter than 3 characters means nothing to send."""
    text = _single_line(query)
    start = 0
    while start < len(text) and not _valid_first_char(text[start]):
        start += 1
    text = text[start:]
    cut = _utf16_prefix(text, QUERY_MAX_UTF16_UNITS)
    if len(cut) < len(text):
        # Cut at a word boundary so the last word is not a misleading fragment.
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return text


def _single_line(value: object) -> str:
    """Text on one line, without control characters nor lone surrogates (which cannot be encoded)."""
    text = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in str(value))
    return " ".join(text.split())


def _valid_first_char(char: str) -> bool:
    # Same test as the service: a cased letter (accented ones included) or an ASCII digit.
    return char.lower() != char.upper() or "0" <= char <= "9"


def _utf16_prefix(text: str, max_units: int) -> str:
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > max_units:
            return text[:index]
    return text


def _checked_base_url(base_url: str) -> str:
    try:
        url = httpx.URL(str(base_url).strip().rstrip("/"))
    except (httpx.InvalidURL, TypeError, ValueError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise GeocoderNotConfigured(
            f"L'adresse du service de géocodage est invalide (GEOCODER_URL). {SEARCH_HINT}"
        )
    return str(url)


def _checked_citycode(citycode: str) -> str:
    citycode = str(citycode).strip().upper()
    if not CITYCODE_RE.match(citycode):
        raise GeocoderRejected("Code commune (INSEE) invalide : cinq caractères attendus, par exemple 94028.")
    return citycode


def _in_range(value: object, bound: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and -bound <= value <= bound


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",") + " s"


def _status_failure(status: int, hint: str) -> GeocoderError:
    if status == 429:
        return GeocoderUnavailable(f"Le service de géocodage est surchargé (trop de demandes). {hint}")
    if status >= 500:
        return GeocoderUnavailable(f"Le service de géocodage est indisponible (erreur {status}). {hint}")
    return GeocoderRejected(f"Le service de géocodage a refusé la demande (erreur {status}). {hint}")


def _bad_answer(hint: str) -> GeocoderBadAnswer:
    return GeocoderBadAnswer(f"Le service de géocodage a renvoyé une réponse illisible. {hint}")


def _parse_features(response: httpx.Response, hint: str) -> list[GeocodedAddress]:
    try:
        payload = response.json()
    except ValueError as exc:
        raise _bad_answer(hint) from exc
    features = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(features, list):
        raise _bad_answer(hint)
    return [_parse_feature(feature, hint) for feature in features]


def _parse_feature(feature: object, hint: str) -> GeocodedAddress:
    if not isinstance(feature, dict):
        raise _bad_answer(hint)
    geometry, properties = feature.get("geometry"), feature.get("properties")
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(properties, dict) or not isinstance(coordinates, list) or len(coordinates) < 2:
        raise _bad_answer(hint)
    label = properties.get("label")
    lon, lat = _number(coordinates[0]), _number(coordinates[1])
    score = _number(properties.get("score", 0))
    if not isinstance(label, str) or not _in_range(lon, 180) or not _in_range(lat, 90) or score is None:
        raise _bad_answer(hint)
    return GeocodedAddress(
        label=label,
        lon=lon,
        lat=lat,
        score=score,
        citycode=_text(properties.get("citycode")),
        postcode=_text(properties.get("postcode")),
        city=_text(properties.get("city")),
        kind=_text(properties.get("type")),
    )


def _parse_csv_answer(response: httpx.Response, wanted: list[int]) -> dict[int, GeocodedAddress | None]:
    try:
        text = response.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad_answer(BATCH_HINT) from exc
    # The service answers with the delimiter it read; the row id column always comes first.
    match = re.match(rf'"?{ROW_ID_COLUMN}"?([,;\t|])', text)
    if not match:
        raise _bad_answer(BATCH_HINT)
    try:
        records = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=match.group(1)))
    except csv.Error as exc:
        raise _bad_answer(BATCH_HINT) from exc
    if not records or not {"latitude", "longitude", "result_label"} <= set(records[0]):
        raise _bad_answer(BATCH_HINT)
    results = {}
    for record in records:
        try:
            index = int(record.get(ROW_ID_COLUMN) or "")
        except ValueError as exc:
            raise _bad_answer(BATCH_HINT) from exc
        results[index] = _parse_csv_record(record)
    if sorted(results) != wanted or len(records) != len(wanted):
        raise GeocoderBadAnswer(
            f"La réponse du service de géocodage ne correspond pas au fichier envoyé. {BATCH_HINT}"
        )
    return results


def _parse_csv_record(record: dict[str, str | None]) -> GeocodedAddress | None:
    lon_text, lat_text = (record.get("longitude") or "").strip(), (record.get("latitude") or "").strip()
    if not lon_text or not lat_text or (record.get("result_status") or "").strip() in CSV_NOT_FOUND_STATUSES:
        return None
    lon, lat = _number(lon_text), _number(lat_text)
    score = _number(record.get("result_score") or 0)
    if not _in_range(lon, 180) or not _in_range(lat, 90) or score is None:
        raise _bad_answer(BATCH_HINT)
    return GeocodedAddress(
        label=(record.get("result_label") or "").strip(),
        lon=lon,
        lat=lat,
        score=score,
        citycode=_text(record.get("result_citycode")),
        postcode=_text(record.get("result_postcode")),
        city=_text(record.get("result_city")),
        kind=_text(record.get("result_type")),
    )


def _number(value: object) -> float | None:
    # bool is an int subclass; a JSON true is no coordinate.
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _clean_cell(value: object) -> str:
    # One line per row: some CSV readers on the service side choke on embedded line breaks.
    return _single_line(value) if value is not None else ""


def geocoder_configured() -> bool:
    """Whether a geocoder URL is set (pages say so before the user types an address)."""
    return bool(str((getattr(settings, "GEOCODER", None) or {}).get("URL") or "").strip())
