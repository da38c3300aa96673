import json

from cite_emploi.demo.services import DATA_DIR
from cite_emploi.territory.models import Territory
from cite_emploi.territory.services import load_territory


def other_territory() -> Territory:
    """The fictitious Val-de-Marne Est territory of the demo (real QPV of Champigny, Valenton, VSG)."""
    definition = json.loads((DATA_DIR / "territoire_fictif.json").read_text(encoding="utf-8"))
    return load_territory(definition)
