"""A curious user: every internal page reachable by links from the home page, GET only, parsed.

Shared by the crawling tests (hostile input, what employers and elected officials can reach).
``check(url, response)`` lets a test look at every answer as the crawl goes.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Downloads and endpoints that end a session or are not pages.
SKIP_PREFIXES = ("/deconnexion/", "/administration/", "/static/", "/media/", "/api/")
MAX_PAGES = 400
MAX_VARIANTS = 3  # query strings kept per path: filters and pages of the same list
MAX_PER_SECTION = 40  # pages per first two path segments (the 144 cells of the coverage…)


class Page(HTMLParser):
    """Links and POST forms of an HTML page (with whether each form holds the CSRF token)."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
            }
            self._form["csrf"] = False
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and attrs.get("name") == "csrfmiddlewaretoken":
            self._form["csrf"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def crawl(client, check=None, start: str = "/") -> dict[str, Page]:
    """Every internal page reachable by links from ``start`` (GET only), parsed."""
    seen: dict[str, Page] = {}
    variants: dict[str, int] = {}
    sections: dict[str, int] = {}
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code < 500, f"{url} : {response.status_code}"
        if check is not None:
            check(url, response)
        page = Page()
        seen[url] = page
        if response.status_code in (301, 302) and response["Location"].startswith("/"):
            # A part's home may send a role elsewhere (the employer's aller-vers → the events).
            if not response["Location"].startswith(("/connexion/", *SKIP_PREFIXES)):
                queue.append(response["Location"])
            continue
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        page.feed(response.content.decode())
        for link in page.links:
            target = urljoin(url, link)
            parts = urlsplit(target)
            if parts.scheme and parts.netloc not in ("", "testserver"):
                continue
            if parts.path.startswith(SKIP_PREFIXES) or not parts.path.startswith("/"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local in seen or local in queue:
                continue
            if parts.query:
                variants[parts.path] = variants.get(parts.path, 0) + 1
                if variants[parts.path] > MAX_VARIANTS:
                    continue
            section = "/".join(parts.path.split("/")[:3])
            sections[section] = sections.get(section, 0) + 1
            if sections[section] > MAX_PER_SECTION:
                continue
            queue.append(local)
    return seen
