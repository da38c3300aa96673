"""A local stand-in for the national address API (API Adresse / Géoplateforme), for tests.

It speaks the same protocol under a ``/geocodage`` prefix, like the Géoplateforme: ``/search/``
answers a GeoJSON FeatureCollection, ``/reverse/`` the nearest entry, ``/search/csv/`` the uploaded
CSV with the result columns added. It checks parameters as the real service does (400 on a bad ``q``,
``limit`` or ``citycode``), so a client that would be refused in production is refused here too.

The address book holds real places of the GPSEA territory (Val-de-Marne). Their coordinates are
approximate (within about a hundred metres); those in a priority neighbourhood were put inside the QPV
outline of ``cite_emploi/territory/data/qpv_2024_france.geojson``.

Run ``python -m tests.territory.fake_geocoder 7878`` to serve it by hand (e.g. for a demo).
"""

import csv
import io
import json
import math
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PREFIX = "/geocodage"
REVERSE_RADIUS_M = 2000.0
CONTEXT = "94, Val-de-Marne, Île-de-France"
CSV_RESULT_COLUMNS = [
    "latitude",
    "longitude",
    "result_label",
    "result_score",
    "result_score_next",
    "result_type",
    "result_id",
    "result_housenumber",
    "result_name",
    "result_street",
    "result_postcode",
    "result_city",
    "result_context",
    "result_citycode",
    "result_oldcitycode",
    "result_oldcity",
    "result_district",
    "result_status",
]


@dataclass(frozen=True)
class Place:
    label: str
    lon: float
    lat: float
    kind: str
    name: str
    postcode: str
    citycode: str
    city: str
    housenumber: str = ""
    street: str = ""
    aliases: tuple[str, ...] = ()


# fmt: off
ADDRESS_BOOK = (
    Place(
        "1 Place Salvador Allende 94000 Créteil", 2.4553, 48.7793, "housenumber", "1 Place Salvador Allende",
        "94000", "94028", "Créteil", "1", "Place Salvador Allende", ("Hôtel de ville de Créteil", "mairie"),
    ),
    # Mont-Mesly shopping centre, inside QPV QN09405M « Mont Mesly - La Habette - Coteaux du Sud ».
    Place(
        "Place de l'Abbaye 94000 Créteil", 2.4698, 48.7771, "street", "Place de l'Abbaye",
        "94000", "94028", "Créteil", "", "Place de l'Abbaye", ("Mont-Mesly",),
    ),
    # The Chennevières side of QPV QN09424I « Le Bois l'Abbé » (it spans Champigny too).
    Place(
        "Le Bois l'Abbé 94430 Chennevières-sur-Marne", 2.5553, 48.8042, "locality", "Le Bois l'Abbé",
        "94430", "94019", "Chennevières-sur-Marne",
    ),
    # Inside QPV QN09404M « Chantereine ».
    Place(
        "Chantereine 94140 Alfortville", 2.4256, 48.7854, "locality", "Chantereine",
        "94140", "94002", "Alfortville",
    ),
    Place(
        "7 Rue d'Estienne d'Orves 94380 Bonneuil-sur-Marne", 2.4870, 48.7690, "housenumber",
        "7 Rue d'Estienne d'Orves", "94380", "94011", "Bonneuil-sur-Marne", "7", "Rue d'Estienne d'Orves",
        ("Hôtel de ville de Bonneuil-sur-Marne", "mairie"),
    ),
    Place("Créteil", 2.4548, 48.7836, "municipality", "Créteil", "94000", "94028", "Créteil"),
    Place("Alfortville", 2.4213, 48.7961, "municipality", "Alfortville", "94140", "94002", "Alfortville"),
)
# fmt: on


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, list[str]]
    csv_rows: int | None = None
    upload: bytes | None = None


@dataclass
class _Behaviour:
    mode: str = "normal"  # normal, slow or malformed
    delay: float = 0.0
    malformed: str = "json"  # json, no_coordinates or not_geojson
    failures_left: int = 0
    failure_status: int = 500
    max_csv_rows: int | None = None
    wake: threading.Event = field(default_factory=threading.Event)


class FakeGeocoder:
    """The server and its behaviour switches; ``url`` is the base URL to configure."""

    def __init__(self, port: int = 0):
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._behaviour = _Behaviour()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        # Keep-alive connections would otherwise hold stop() until the client lets go.
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def __str__(self) -> str:
        return self.url

    def start(self) -> "FakeGeocoder":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.reset()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Back to normal answers, forgetting recorded requests; wakes any request still sleeping."""
        with self._lock:
            self._behaviour.wake.set()
            self._behaviour = _Behaviour()
            self.requests.clear()

    def slow(self, seconds: float) -> None:
        with self._lock:
            self._behaviour.mode, self._behaviour.delay = "slow", seconds

    def fail_first(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._behaviour.failures_left, self._behaviour.failure_status = count, status

    def malformed(self, kind: str = "json") -> None:
        with self._lock:
            self._behaviour.mode, self._behaviour.malformed = "malformed", kind

    def limit_csv_rows(self, max_rows: int) -> None:
        """Refuse bigger uploads with 413, as the real service does past its file size limit."""
        with self._lock:
            self._behaviour.max_csv_rows = max_rows

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.requests]

    def _record(self, request: Request) -> tuple[_Behaviour, bool]:
        """Log the request; True when it must fail, counting down the planned failures."""
        with self._lock:
            self.requests.append(request)
            behaviour = self._behaviour
            if behaviour.failures_left > 0:
                behaviour.failures_left -= 1
                return behaviour, True
            return behaviour, False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections end on their own

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length))

    def _serve(self, body: bytes) -> None:
        fake: FakeGeocoder = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        route = url.path.rstrip("/")
        params = parse_qs(url.query, keep_blank_values=True)
        upload = None
        if self.command == "POST":
            params, upload = _parse_multipart(self.headers.get("Content-Type", ""), body)
        behaviour, must_fail = fake._record(Request(self.command, route, params, _count_rows(upload), upload))
        if must_fail:
            status = behaviour.failure_status
            self._json(status, {"code": status, "message": "Erreur simulée"})
            return
        if behaviour.mode == "slow":
            behaviour.wake.wait(behaviour.delay)
        if behaviour.mode == "malformed":
            self._malformed(behaviour.malformed)
            return
        routes = {f"{PREFIX}/search": self._search, f"{PREFIX}/reverse": self._reverse}
        if route in routes and self.command == "GET":
            routes[route](params)
        elif route == f"{PREFIX}/search/csv" and self.command == "POST":
            self._csv(params, upload, behaviour.max_csv_rows)
        else:
            self._json(404, {"code": 404, "message": "Not found"})

    def _search(self, params: dict[str, list[str]]) -> None:
        q, limit, citycode = _first(params, "q"), _first(params, "limit") or "5", _first(params, "citycode")
        errors = []
        if not _valid_q(q):
            errors.append("q: must contain between 3 and 200 chars and start with a number or a letter")
        if not re.fullmatch(r"\d+", limit) or not 1 <= int(limit) <= 20:
            errors.append("limit: Param limit must be an integer between 1 and 20")
        if citycode and not re.fullmatch(r"\d{5}|\d[AB]\d{3}", citycode):
            errors.append("citycode: Param citycode is invalid")
        if errors:
            self._json(400, {"code": 400, "message": "Failed parsing query", "detail": errors})
            return
        hits = search_book(q, citycode=citycode)[: int(limit)]
        self._json(200, _collection([_feature(place, score) for place, score in hits], query=q))

    def _reverse(self, params: dict[str, list[str]]) -> None:
        lon, lat = _first(params, "lon"), _first(params, "lat")
        if not all(re.fullmatch(r"[+-]?\d+(\.\d*)?", value) for value in (lon, lat)):
            self._json(400, {"code": 400, "message": "Failed parsing query", "detail": ["lon/lat invalid"]})
            return
        distance, place = min((_distance_m(float(lon), float(lat), place), place) for place in ADDRESS_BOOK)
        features = []
        if distance <= REVERSE_RADIUS_M:
            feature = _feature(place, round(1 - distance / REVERSE_RADIUS_M, 4))
            feature["properties"]["distance"] = round(distance)
            features.append(feature)
        self._json(200, _collection(features))

    def _csv(self, params: dict[str, list[str]], upload: bytes | None, max_rows: int | None) -> None:
        if upload is None:
            self._json(400, {"code": 400, "message": "A CSV file must be provided in data field"})
            return
        text = upload.decode("utf-8-sig")
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t|", key=first_line.count)
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        header, rows = records[0], records[1:]
        if max_rows is not None and len(rows) > max_rows:
            self._json(413, {"code": 413, "message": "Payload too large"})
            return
        columns = params.get("columns") or header
        filters = {key: params[key][0] for key in ("citycode", "postcode") if params.get(key)}
        missing = [name for name in [*columns, *filters.values()] if name not in header]
        if missing:
            self._json(400, {"code": 400, "message": f"Colonnes inconnues : {', '.join(missing)}"})
            return
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([*header, *CSV_RESULT_COLUMNS])
        for row in rows:
            values = dict(zip(header, row, strict=False))
            query = " ".join(values.get(name, "") for name in columns).strip()
            citycode = values.get(filters.get("citycode", ""), "") or None
            hits = search_book(query, citycode=citycode) if query else []
            writer.writerow([*row, *_csv_result(hits, skipped=not query)])
        self._reply(200, out.getvalue().encode("utf-8"), "text/csv; charset=utf-8")

    def _malformed(self, kind: str) -> None:
        bodies = {
            "json": b'{"type": "FeatureCollection", "features": [{"type": ',
            "no_coordinates": json.dumps(
                _collection([{"type": "Feature", "geometry": None, "properties": {"label": "Créteil"}}])
            ).encode(),
            "not_geojson": b'["Service en maintenance"]',
        }
        self._reply(200, bodies[kind], "application/json")

    def _json(self, status: int, payload: object) -> None:
        self._reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (timeout): nothing left to tell it.
            self.close_connection = True


def search_book(query: str, *, citycode: str | None = None) -> list[tuple[Place, float]]:
    """Entries with a word starting with each word of the query, ignoring case and accents, best first."""
    tokens = _normalize(query).split()
    if not tokens:
        return []
    hits = []
    for place in ADDRESS_BOOK:
        if citycode and place.citycode != citycode:
            continue
        words = _normalize(" ".join([place.label, *place.aliases])).split()
        matched = [token for token in tokens if any(word.startswith(token) for word in words)]
        # Like the real service, a stray number (unknown house number) lowers the score but every word
        # must be found.
        if not matched or any(not token.isdigit() for token in tokens if token not in matched):
            continue
        # Covering more of the label scores higher, as a full address beats a lone city name.
        coverage = min(1.0, len(" ".join(matched)) / len(_normalize(place.label)))
        hits.append((place, round(0.4 + 0.59 * coverage * len(matched) / len(tokens), 4)))
    return sorted(hits, key=lambda hit: hit[1], reverse=True)


def _normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def _valid_q(q: str) -> bool:
    units = len(q.encode("utf-16-le")) // 2
    first = q[:1]
    return 3 <= units <= 200 and (first.lower() != first.upper() or "0" <= first <= "9")


def _first(params: dict[str, list[str]], key: str) -> str:
    return (params.get(key) or [""])[0].strip()


def _distance_m(lon: float, lat: float, place: Place) -> float:
    # Equirectangular approximation: plenty at the scale of a territory.
    x = math.radians(place.lon - lon) * math.cos(math.radians((place.lat + lat) / 2))
    y = math.radians(place.lat - lat)
    return 6_371_000 * math.hypot(x, y)


def _feature(place: Place, score: float) -> dict:
    properties = {
        "label": place.label,
        "score": score,
        "id": f"{place.citycode}_fake_{ADDRESS_BOOK.index(place)}",
        "type": place.kind,
        "name": place.name,
        "postcode": place.postcode,
        "citycode": place.citycode,
        "city": place.city,
        "context": CONTEXT,
    }
    if place.housenumber:
        properties["housenumber"] = place.housenumber
    if place.street:
        properties["street"] = place.street
    geometry = {"type": "Point", "coordinates": [place.lon, place.lat]}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _collection(features: list[dict], query: str | None = None) -> dict:
    collection = {"type": "FeatureCollection", "version": "draft", "features": features}
    collection.update({"attribution": "BAN", "licence": "ETALAB-2.0"})
    if query is not None:
        collection["query"] = query
    return collection


def _csv_result(hits: list[tuple[Place, float]], *, skipped: bool) -> list[str]:
    if not hits:
        return [""] * (len(CSV_RESULT_COLUMNS) - 1) + ["skipped" if skipped else "not-found"]
    (place, score), next_score = hits[0], (hits[1][1] if len(hits) > 1 else "")
    return [
        str(place.lat), str(place.lon), place.label, str(score), str(next_score), place.kind,
        f"{place.citycode}_fake_{ADDRESS_BOOK.index(place)}", place.housenumber, place.name, place.street,
        place.postcode, place.city, CONTEXT, place.citycode, "", "", "", "ok",
    ]  # fmt: skip


def _count_rows(upload: bytes | None) -> int | None:
    if upload is None:
        return None
    text = upload.decode("utf-8-sig", errors="replace")
    return max(0, sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1)


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, list[str]], bytes | None]:
    """Form fields and the ``data`` file of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    fields: dict[str, list[str]] = {}
    upload = None
    if not message.is_multipart():
        return fields, upload
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "data":
            upload = payload
        elif name:
            fields.setdefault(name, []).append(payload.decode("utf-8"))
    return fields, upload


if __name__ == "__main__":
    server = FakeGeocoder(int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(f"GEOCODER_URL={server.url}")
    server._thread.join()
