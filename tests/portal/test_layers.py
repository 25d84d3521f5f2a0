"""The apps' layering holds in the templates too, and the portal's page parts stay app-agnostic.

Python imports are checked by import-linter (``.importlinter``, run by ``make lint``); these tests
read the same layer list and apply it to what templates load and include.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.loader import render_to_string
from django.test import RequestFactory

from clearance.models import Notification, NotificationKind

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"

# The frame and the shared parts every app's pages are built from (they show what they are given).
PAGE_KIT = re.compile(r"^(base\.html|base_portal\.html|portal/parts/[^/]+\.html)$")
# Template folders named after what renders them rather than after an app.
FOLDER_OWNER = {"registration": "accounts", "drf_spectacular": "singlewindow"}
LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
INCLUDE = re.compile(r"{%\s*(?:include|extends)\s+\"([^\"]+)\"")


def layers() -> list[list[str]]:
    """The apps, lowest layer first, as the import-linter contract lists them (top first; apps on
    one line, ``a | b``, share a layer)."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    lines = config["importlinter:contract:layers"]["layers"].strip().splitlines()
    return [re.split(r"\s*[|:]\s*", line.strip()) for line in reversed(lines)]


def ranks() -> dict[str, int]:
    return {app: n for n, layer in enumerate(layers()) for app in layer}


def owner(template: str) -> str:
    folder = template.split("/", 1)[0] if "/" in template else ""
    if not folder:
        return "portal"  # base.html, base_portal.html, 404.html, 500.html: the portal's frame and pages
    return FOLDER_OWNER.get(folder, folder)


def library_app(name: str) -> str:
    """The app whose ``templatetags`` hold the library ("" for Django's and other packages')."""
    module = engines["django"].engine.libraries.get(name, "")  # type: ignore[attr-defined]
    return module.split(".", 1)[0]


def project_templates() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


def test_the_layers_are_the_apps():
    assert layers() == [
        ["singlewindow"],
        ["accounts", "nomenclature"],
        ["declarations"],
        ["agencies"],
        ["payments"],
        ["clearance"],
        ["support"],
        ["insights"],
        ["portal"],
    ]
    # A new app of the project must take its place in the contract.
    project_apps = {name.split(".")[0] for name in settings.INSTALLED_APPS}
    assert set(ranks()) == {app for app in project_apps if (ROOT / app / "apps.py").is_file()}


def loaded_libraries(text: str) -> set[str]:
    return {name for names in LOAD.findall(text) for name in names.split()}


@pytest.mark.parametrize("template", project_templates())
def test_a_template_uses_only_its_own_app_those_below_and_the_page_kit(template):
    """What a template loads and includes, and what the page parts it includes load, is its own
    app's or a lower app's."""
    rank = ranks()
    mine = rank[owner(template)]
    text = (TEMPLATES / template).read_text()
    upward = []
    for target in INCLUDE.findall(text):
        if PAGE_KIT.match(target):
            if not target.startswith("portal/parts/"):
                continue  # the frame, which wraps every page
            # A part renders inside the page: the libraries it loads count as the page's.
            for name in loaded_libraries((TEMPLATES / target).read_text()):
                app = library_app(name)
                if rank.get(app, -1) > mine:
                    upward.append(f"includes {target}, which loads {name} ({app})")
        elif rank.get(owner(target), -1) > mine:
            upward.append(f"includes {target}")
    for name in loaded_libraries(text):
        app = library_app(name)
        if rank.get(app, -1) > mine:
            upward.append(f"loads {name} ({app})")
    assert not upward, f"{template} ({owner(template)}) reaches upward: {upward}"


def test_a_template_reaching_upward_is_caught():
    """The check above can fail: a declarations template loading a clearance library would."""
    rank = ranks()
    assert rank[owner("declarations/detail.html")] < rank[owner("clearance/_chips.html")]
    assert library_app("reviews") == "agencies"
    assert rank[library_app("reviews")] > rank[owner("declarations/detail.html")]
    assert library_app("portal") == "portal"
    assert "django" not in rank  # Django's own libraries: no layer


@pytest.mark.parametrize("part", sorted(p.name for p in (TEMPLATES / "portal" / "parts").glob("*.html")))
def test_page_parts_use_no_portal_library_and_only_other_parts(part):
    """A part only renders what it is given: never the portal's own tags (which read the signed-in
    user's data), so any app's page may include it."""
    text = (TEMPLATES / "portal" / "parts" / part).read_text()
    portal_libraries = {name for name in loaded_libraries(text) if library_app(name) == "portal"}
    assert not portal_libraries, f"{part} loads {portal_libraries}"
    for target in INCLUDE.findall(text):
        assert PAGE_KIT.match(target), f"{part} includes {target}, which is not a page part"


@pytest.mark.django_db
def test_rendering_the_home_page_template_marks_nothing_read(importer):
    """Marking notifications read is the home view's doing; rendering the template writes nothing."""
    note = Notification.objects.create(user=importer, kind=NotificationKind.RELEASED, message="Released.")
    request = RequestFactory().get("/")
    request.user = importer
    html = render_to_string("portal/home.html", {"notifications": [note], "user": importer}, request=request)
    assert "Released." in html
    note.refresh_from_db()
    assert note.read_at is None
