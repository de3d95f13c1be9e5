"""The commands behind run.py (create-meeting, import-meeting, demo links) and `flask translate`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import yaml

from . import provisioning
from .meeting.agenda import AgendaError, load_agenda
from .meeting.archive import ArchiveError, check_archive, load_archive
from .store import MeetingExists, StoreError, open_store

DEMO_FILE = "demo-meeting.json"
# Sample answers of the five regional groups in four languages, written for the demo.
DEMO_CONTRIBUTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo",
                                  "grcp7_contributions.yaml")
DEMO_CURATION = os.path.join(os.path.dirname(DEMO_CONTRIBUTIONS), "grcp7_curation.yaml")


def _store(data_dir, redis_url):
    prefix = os.environ.get("FACILITATOR_REDIS_PREFIX") or "fac"
    return open_store(data_dir, redis_url, prefix)


def create_meeting_command(agenda: str, data_dir, redis_url, base_url: str) -> dict:
    try:
        agenda_doc = load_agenda(agenda)
    except AgendaError as error:
        raise SystemExit(f"create-meeting: the agenda is not valid: {error}")
    store = _store(data_dir, redis_url)
    try:
        meeting_id, meeting_secrets = provisioning.create_meeting(store, agenda_doc)
        return provisioning.links(base_url, meeting_id, meeting_secrets, agenda_doc)
    finally:
        store.close()


INVALID_ARCHIVE = 2  # the exit status of an archive refused by its checks


def import_meeting_command(path: str, data_dir, redis_url, base_url: str) -> dict:
    try:
        meeting_id, events = check_archive(load_archive(path))
    except ArchiveError as error:
        # The archive came from outside: say where it is wrong, never with a traceback.
        print(f"import-meeting: {path} is not a valid archive; nothing was imported.\n  {error}",
              file=sys.stderr)
        raise SystemExit(INVALID_ARCHIVE)
    store = _store(data_dir, redis_url)
    try:
        meeting_secrets = provisioning.import_meeting(store, meeting_id, events)
        meeting = events[0]["meeting"]
        return provisioning.links(base_url, meeting_id, meeting_secrets, meeting)
    except MeetingExists:
        raise SystemExit(
            f"import-meeting: a meeting with id {meeting_id} already exists in this store; "
            "nothing was changed."
        )
    except (ValueError, KeyError, TypeError, StoreError) as error:  # a gap in the checks above
        print(f"import-meeting: {path} is not a valid archive; nothing was imported.\n  {error}",
              file=sys.stderr)
        raise SystemExit(INVALID_ARCHIVE)
    finally:
        store.close()


def demo_links(store, data_dir: str, base_url: str) -> dict:
    """The GRCP7 demo meeting, created once per data directory (or Redis prefix)."""
    marker = os.path.join(data_dir, DEMO_FILE)
    if os.path.exists(marker):
        with open(marker, encoding="utf-8") as handle:
            meeting_id = json.load(handle)["meeting_id"]
        meeting_secrets = store.secrets(meeting_id)
        if meeting_secrets is not None:
            meeting = store.read(meeting_id, after=0, limit=1)[0]["meeting"]
            return provisioning.links(base_url, meeting_id, meeting_secrets, meeting)
    agenda = load_agenda("grcp7")
    meeting_id, meeting_secrets = provisioning.create_meeting(store, agenda)
    with open(DEMO_CONTRIBUTIONS, encoding="utf-8") as handle:
        provisioning.seed_contributions(store, meeting_id, yaml.safe_load(handle))
    with open(DEMO_CURATION, encoding="utf-8") as handle:
        provisioning.seed_curation(store, meeting_id, yaml.safe_load(handle))
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    # Private like the store beside it (0600), whatever the umask.
    with open(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        json.dump({"meeting_id": meeting_id}, handle)
    return provisioning.links(base_url, meeting_id, meeting_secrets, agenda)


def print_links(links: dict, out=sys.stdout) -> None:
    print(f"\nMeeting {links['meeting_id']}: {links['title']}", file=out)
    print(f"  chair console:     {links['chair_url']}", file=out)
    print(f"  plenary dashboard: {links['plenary_url']}", file=out)
    print(f"  participants join: {links['join_url']}  (code {links['join_code']})", file=out)
    if links.get("translator_url"):
        print(f"  translation desk:  {links['translator_url']}", file=out)
    if links.get("curator_url"):
        print(f"  synthesis desk:    {links['curator_url']}", file=out)
    for group in links["groups"]:
        print(f"  rapporteur, {group['name']}: {group['rapporteur_url']}", file=out)
    print("", file=out, flush=True)


# ----- flask translate -----------------------------------------------------------------------


def register_translate(app) -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    translations = os.path.join(root, "translations")
    pot = os.path.join(root, "messages.pot")

    def babel(*args):
        pybabel = os.path.join(os.path.dirname(sys.executable), "pybabel")
        subprocess.run([pybabel, *args], check=True, cwd=root)

    @app.cli.group()
    def translate():
        """Extract, update and compile the UI catalogs."""

    @translate.command()
    def extract():
        """Extract messages into messages.pot."""
        babel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", pot, ".")

    @translate.command()
    def update():
        """Extract, then merge new messages into every language's .po file."""
        extract.callback()
        babel("update", "-i", pot, "-d", translations)

    @translate.command()
    @click.argument("lang")
    def init(lang):
        """Start a catalog for a new language."""
        extract.callback()
        babel("init", "-i", pot, "-d", translations, "-l", lang)

    @translate.command()
    def compile():
        """Compile the .po files into the .mo files the server reads."""
        babel("compile", "-d", translations)
