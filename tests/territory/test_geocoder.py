import socket
import time

import pytest

from cite_emploi.territory.geocoder import (
    GeocodedAddress,
    Geocoder,
    GeocoderBadAnswer,
    GeocoderError,
    GeocoderNotConfigured,
    GeocoderRejected,
    GeocoderUnavailable,
    clean_query,
    get_geocoder,
)


@pytest.fixture
def geocoder(fake_geocoder):
    with get_geocoder() as client:
        yield client


def configure(settings, **overrides):
    settings.GEOCODER = {**settings.GEOCODER, **overrides}


# Search


def test_search_finds_a_real_address(geocoder):
    [best, *_] = geocoder.search("1 place Salvador Allende 94000 Créteil")

    assert best.label == "1 Place Salvador Allende 94000 Créteil"
    assert best.kind == "housenumber"
    assert (best.citycode, best.postcode, best.city) == ("94028", "94000", "Créteil")
    assert best.lon == pytest.approx(2.455, abs=0.01)
    assert best.lat == pytest.approx(48.779, abs=0.01)


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("MONT MESLY", "Place de l'Abbaye 94000 Créteil"),
        ("bois l abbe chennevieres", "Le Bois l'Abbé 94430 Chennevières-sur-Marne"),
        ("Chantereine Alfortville", "Chantereine 94140 Alfortville"),
        ("hôtel de ville bonneuil", "7 Rue d'Estienne d'Orves 94380 Bonneuil-sur-Marne"),
    ],
)
def test_search_ignores_case_and_accents(geocoder, query, label):
    assert geocoder.search(query)[0].label == label


def test_search_sorts_by_score_and_honours_limit(geocoder):
    results = geocoder.search("Créteil")
    scores = [result.score for result in results]

    assert len(results) >= 3
    assert scores == sorted(scores, reverse=True)
    assert results[0].kind == "municipality"
    assert len(geocoder.search("Créteil", limit=2)) == 2


def test_search_limit_is_kept_within_what_the_service_accepts(geocoder, fake_geocoder):
    geocoder.search("Créteil", limit=500)
    geocoder.search("Créteil", limit=0)

    assert [request.params["limit"] for request in fake_geocoder.requests] == [["20"], ["1"]]


def test_search_miss_is_an_empty_list(geocoder):
    assert geocoder.search("rue qui n'existe pas") == []


@pytest.mark.parametrize("query", ["", "   ", "ab", "-- ?", "\n\t"])
def test_search_without_enough_text_sends_nothing(geocoder, fake_geocoder, query):
    assert geocoder.search(query) == []
    assert fake_geocoder.requests == []


def test_citycode_filters_results(geocoder, fake_geocoder):
    in_creteil = geocoder.search("Créteil", citycode="94028")
    in_alfortville = geocoder.search("Créteil", citycode="94002")

    assert in_creteil and {result.citycode for result in in_creteil} == {"94028"}
    assert in_alfortville == []
    assert fake_geocoder.requests[-1].params["citycode"] == ["94002"]


def test_invalid_citycode_is_refused_before_sending(geocoder, fake_geocoder):
    with pytest.raises(GeocoderRejected, match="Code commune"):
        geocoder.search("Créteil", citycode="94028&q=x")
    assert fake_geocoder.requests == []


# Hostile input travels as data, never as URL syntax.


@pytest.mark.parametrize(
    "query",
    [
        '1 "place" Salvador & Allende #3 / Créteil',
        "Créteil?limit=99&citycode=75056#frag",
        "../../reverse/?lon=0&lat=0",
        "l'Abbaye %26 %2F %00 + Créteil",
        "Créteil\r\nX-Injected: yes",
        "Chantereine\x00\ud800 Alfortville",
        "🏠 Chantereine 🏠 Alfortville",
        "Chennevières-sur-Marne " * 40,
        "x" * 5000,
    ],
)
def test_hostile_query_reaches_the_service_intact(geocoder, fake_geocoder, query):
    results = geocoder.search(query)

    assert all(isinstance(result, GeocodedAddress) for result in results)
    [request] = fake_geocoder.requests
    assert request.path == "/geocodage/search"
    assert request.params["q"] == [clean_query(query)]
    assert request.params["limit"] == ["5"]
    assert "citycode" not in request.params


def test_clean_query_fits_the_service_rules():
    assert clean_query("  « 1   place\nSalvador Allende »  ") == "1 place Salvador Allende »"
    assert clean_query("Émile Zola") == "Émile Zola"
    long = clean_query("Chennevières-sur-Marne " * 40)
    assert len(long) <= 200 and not long.endswith(" ") and long.endswith("Marne")
    # Characters outside the BMP count twice for the service (UTF-16).
    assert len(clean_query("🏠" * 150).encode("utf-16-le")) // 2 <= 200
    assert clean_query("Chantereine\x00\ud800Alfortville") == "Chantereine Alfortville"


# Reverse


def test_reverse_gives_the_nearest_address(geocoder):
    address = geocoder.reverse(2.4257, 48.7853)

    assert address is not None
    assert address.label == "Chantereine 94140 Alfortville"
    assert address.citycode == "94002"


def test_reverse_far_from_any_address_is_none(geocoder):
    assert geocoder.reverse(-4.48, 48.39) is None


def test_reverse_sends_plain_decimals(geocoder, fake_geocoder):
    geocoder.reverse(1e-7, -1e-7)

    assert fake_geocoder.requests[0].params["lon"] == ["0.000000"]


@pytest.mark.parametrize(("lon", "lat"), [(181, 48.7), (2.4, -91), (float("nan"), 48.7), ("2.4", None)])
def test_reverse_refuses_impossible_coordinates(geocoder, fake_geocoder, lon, lat):
    with pytest.raises(GeocoderRejected, match="Coordonnées invalides"):
        geocoder.reverse(lon, lat)
    assert fake_geocoder.requests == []


# Failures


def test_timeout_is_reported_in_french_with_the_delay(fake_geocoder, settings):
    configure(settings, TIMEOUT=0.2, RETRIES=0)
    fake_geocoder.slow(2.0)

    started = time.monotonic()
    with get_geocoder() as geocoder, pytest.raises(GeocoderUnavailable) as caught:
        geocoder.search("Créteil")

    assert time.monotonic() - started < 1.5
    assert caught.value.reason == "unavailable"
    assert "délai de 0,2 s dépassé" in caught.value.message
    assert "quartier à la main" in str(caught.value)


def test_timeouts_are_retried(fake_geocoder, settings):
    configure(settings, TIMEOUT=0.2, RETRIES=1)
    fake_geocoder.slow(2.0)

    with get_geocoder() as geocoder, pytest.raises(GeocoderUnavailable):
        geocoder.reverse(2.45, 48.78)
    assert len(fake_geocoder.requests) == 2


def test_transient_errors_are_retried_until_success(geocoder, fake_geocoder):
    fake_geocoder.fail_first(2, status=503)

    assert geocoder.search("Chantereine")[0].city == "Alfortville"
    assert len(fake_geocoder.requests) == 3


def test_rate_limit_is_retried(geocoder, fake_geocoder):
    fake_geocoder.fail_first(1, status=429)

    assert geocoder.search("Chantereine")
    assert len(fake_geocoder.requests) == 2


def test_gives_up_after_the_configured_retries(geocoder, fake_geocoder):
    fake_geocoder.fail_first(10)

    with pytest.raises(GeocoderUnavailable, match=r"indisponible \(erreur 500\)"):
        geocoder.search("Chantereine")
    assert len(fake_geocoder.requests) == 3  # RETRIES=2: one try and two retries


def test_client_errors_are_not_retried(geocoder, fake_geocoder):
    fake_geocoder.fail_first(1, status=404)

    with pytest.raises(GeocoderRejected, match="erreur 404"):
        geocoder.search("Chantereine")
    assert len(fake_geocoder.requests) == 1


def test_unreachable_service(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.GEOCODER = {"URL": f"http://127.0.0.1:{port}", "TIMEOUT": 1.0, "RETRIES": 1, "BACKOFF": 0.0}

    with get_geocoder() as geocoder, pytest.raises(GeocoderUnavailable, match="injoignable"):
        geocoder.search("Créteil")


@pytest.mark.parametrize("kind", ["json", "no_coordinates", "not_geojson"])
def test_malformed_answers_raise_geocoder_errors(geocoder, fake_geocoder, kind):
    fake_geocoder.malformed(kind)

    with pytest.raises(GeocoderBadAnswer, match="réponse illisible") as caught:
        geocoder.search("Créteil")
    assert caught.value.reason == "bad_answer"
    with pytest.raises(GeocoderBadAnswer):
        geocoder.reverse(2.45, 48.78)


# Configuration


def test_no_url_means_no_geocoder(settings):
    settings.GEOCODER = {"URL": "", "TIMEOUT": 5.0, "RETRIES": 2}
    assert get_geocoder() is None
    del settings.GEOCODER
    assert get_geocoder() is None


def test_settings_are_read_when_the_geocoder_is_built(fake_geocoder, settings):
    with get_geocoder() as geocoder:
        assert geocoder.base_url == fake_geocoder.url
    configure(settings, URL="https://data.geopf.fr/geocodage/", TIMEOUT=3, RETRIES=0)

    with get_geocoder() as geocoder:
        assert geocoder.base_url == "https://data.geopf.fr/geocodage"
        assert (geocoder.timeout, geocoder.retries) == (3, 0)


@pytest.mark.parametrize(
    "config",
    [
        {"URL": "data.geopf.fr/geocodage"},
        {"URL": "ftp://example.org"},
        {"URL": "https://example.org/?q=x"},
        {"URL": "https://example.org", "TIMEOUT": "vite"},
        {"URL": "https://example.org", "TIMEOUT": 0},
    ],
)
def test_invalid_configuration_is_reported(settings, config):
    settings.GEOCODER = config
    with pytest.raises(GeocoderNotConfigured) as caught:
        get_geocoder()
    assert caught.value.reason == "not_configured"
    assert isinstance(caught.value, GeocoderError)


# CSV batch

ROWS = [
    {"nom": "Mme A", "adresse": "1 place Salvador Allende", "cp": "94000", "insee": "94028"},
    {"nom": "M. B", "adresse": "", "cp": "", "insee": ""},
    {"nom": "Mme C", "adresse": "Chantereine", "cp": "94140", "insee": "94002"},
    {"nom": "M. D", "adresse": "rue qui n'existe pas", "cp": "94000", "insee": "94028"},
    {"nom": "Mme E", "adresse": "Place de l'Abbaye", "cp": "94000", "insee": "94028"},
]


def test_csv_batch_keeps_order_and_row_count(geocoder):
    pairs = list(geocoder.geocode_csv(ROWS, columns=["adresse", "cp"]))

    assert [row for row, _ in pairs] == ROWS
    assert all(row is original for (row, _), original in zip(pairs, ROWS, strict=True))
    labels = [result.label if result else None for _, result in pairs]
    assert labels == [
        "1 Place Salvador Allende 94000 Créteil",
        None,
        "Chantereine 94140 Alfortville",
        None,
        "Place de l'Abbaye 94000 Créteil",
    ]
    assert pairs[2][1].citycode == "94002" and pairs[2][1].kind == "locality"


def test_csv_batch_sends_only_the_address_columns(geocoder, fake_geocoder):
    list(geocoder.geocode_csv(ROWS, columns=["adresse"], postcode_column="cp"))

    [request] = fake_geocoder.requests
    assert request.path == "/geocodage/search/csv"
    assert request.params == {"columns": ["adresse"], "postcode": ["cp"]}
    assert b"Mme" not in request.upload and b"nom" not in request.upload
    assert request.csv_rows == 4  # the row without any address is not sent


def test_csv_batch_is_chunked(geocoder, fake_geocoder):
    rows = [{"adresse": f"{number} Chantereine Alfortville"} for number in range(8)]
    fake_geocoder.limit_csv_rows(3)

    pairs = list(geocoder.geocode_csv(iter(rows), columns=["adresse"], chunk_size=3))

    assert [row["adresse"] for row, _ in pairs] == [row["adresse"] for row in rows]
    assert all(result is not None for _, result in pairs)
    assert [request.csv_rows for request in fake_geocoder.requests] == [3, 3, 2]


def test_csv_batch_uses_the_citycode_column(geocoder, fake_geocoder):
    rows = [{"adresse": "Créteil", "insee": "94028"}, {"adresse": "Créteil", "insee": "94002"}]

    [(_, in_creteil), (_, in_alfortville)] = geocoder.geocode_csv(
        rows, columns=["adresse"], citycode_column="insee"
    )

    assert in_creteil.citycode == "94028"
    assert in_alfortville is None
    assert fake_geocoder.requests[0].params["citycode"] == ["insee"]


def test_csv_batch_survives_hostile_cells(geocoder, fake_geocoder):
    rows = [
        {"adresse": 'Chantereine, "Alfortville"; #1 & /2'},
        {"adresse": "Place de l'Abbaye\nCréteil\r\n"},
        {"adresse": '=HYPERLINK("https://example.org")'},
        {"adresse": "🏠 " + "é" * 3000 + "\ud800"},
        {"adresse": None},
        {},
    ]

    pairs = list(geocoder.geocode_csv(rows, columns=["adresse"]))

    assert [row for row, _ in pairs] == rows
    assert pairs[0][1].label == "Chantereine 94140 Alfortville"
    assert pairs[1][1].label == "Place de l'Abbaye 94000 Créteil"
    assert [result for _, result in pairs[2:]] == [None] * 4
    # One line per row sent: line breaks inside a cell do not reach the service.
    assert fake_geocoder.requests[0].upload.decode().count("\n") == 1 + 4


def test_csv_batch_with_nothing_to_send_makes_no_request(geocoder, fake_geocoder):
    assert list(geocoder.geocode_csv([], columns=["adresse"])) == []
    assert list(geocoder.geocode_csv([{"adresse": " "}], columns=["adresse"])) == [({"adresse": " "}, None)]
    assert fake_geocoder.requests == []


def test_csv_batch_failures_raise_geocoder_errors(geocoder, fake_geocoder):
    fake_geocoder.malformed("json")
    with pytest.raises(GeocoderBadAnswer):
        list(geocoder.geocode_csv(ROWS, columns=["adresse"]))

    fake_geocoder.reset()
    fake_geocoder.fail_first(10, status=502)
    with pytest.raises(GeocoderUnavailable, match="erreur 502") as caught:
        list(geocoder.geocode_csv(ROWS, columns=["adresse"]))
    assert "choisis à la main" in caught.value.message


def test_csv_batch_refuses_meaningless_arguments(geocoder, fake_geocoder):
    with pytest.raises(ValueError):
        geocoder.geocode_csv(ROWS, columns=[])
    with pytest.raises(ValueError):
        geocoder.geocode_csv(ROWS, columns=["adresse"], chunk_size=0)
    assert fake_geocoder.requests == []


def test_geocoder_can_be_built_directly():
    with pytest.raises(GeocoderNotConfigured):
        Geocoder("")
