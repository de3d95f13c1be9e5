"""The outcome report and the meeting archive over HTTP: only the chair downloads them.

``GET /api/m/<meeting_id>/report.<docx|html|md|csv>?key=CHAIR_KEY[&lang=xx]`` is the report;
``GET /api/m/<meeting_id>/archive.json`` is the archive (``report.json`` stays its old name).
The report is data (``meeting.report.build_report``); each format is a writer in ``meeting/``
(``report_docx``, ``report_markdown``, ``report_csv``) or the template ``report.html``; the
archive is ``meeting.archive.export_archive``. Here: the key, the language, the HTTP headers.
See docs/report.md.
"""

from __future__ import annotations

import copy
import json

from flask import Blueprint, current_app, make_response, render_template, request, url_for

from ..meeting import roles
from ..meeting.archive import export_archive, read_log
from ..meeting.errors import OpError
from ..meeting.report import build_report, report_lang
from ..meeting.report_csv import render_csv
from ..meeting.report_docx import render_docx
from ..meeting.report_markdown import render_markdown
from .api import authorised, op_error
from ..meeting.voting import ballot_results

bp = Blueprint("exports", __name__, url_prefix="/api")
bp.register_error_handler(OpError, op_error)

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}


def _chair(meeting_id: str) -> None:
    if authorised(meeting_id).role != roles.CHAIR:
        raise OpError("forbidden", "Only the chair exports the outcome report.")


def _report(meeting_id: str) -> dict:
    """The report as data, in ?lang=, the remembered language, or the meeting's."""
    hub = current_app.extensions["facilitator"]
    # The record of the meeting: it waits (this request only) for a synthesis that reflects the
    # log, computed on the analysis's own schedule; the seq it reflects goes with the report.
    synthesis = current_app.extensions["facilitator.live"].fresh_synthesis(meeting_id)  # yields
    state = hub.state(meeting_id)
    wanted = request.args.get("lang") or request.cookies.get("lang")
    lang = report_lang(wanted, report_lang(state.meeting.get("default_language"), "en"))
    results = {bid: ballot_results(state, bid) for bid in state.ballots}
    report = build_report(state, copy.deepcopy(synthesis), results, lang)
    report["synthesis_seq"] = synthesis["seq"]
    return report


def _download(body, fmt: str, name: str, inline: bool = False):
    response = make_response(body)
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    return response


@bp.route("/m/<meeting_id>/archive.json")
def archive(meeting_id):
    _chair(meeting_id)
    data = _report(meeting_id)
    events = read_log(current_app.extensions["facilitator"].store, meeting_id)
    body = json.dumps(export_archive(meeting_id, events, data), ensure_ascii=False, indent=1)
    return _download(body, "json", f"meeting-{meeting_id}.json")


@bp.route("/m/<meeting_id>/report.<fmt>")
def report(meeting_id, fmt):
    if fmt not in FORMATS:
        raise OpError("not_found", f"Unknown format; use one of: {', '.join(FORMATS)}.")
    if fmt == "json":  # the archive's first name, kept for the links and scripts that use it
        return archive(meeting_id)
    _chair(meeting_id)
    data = _report(meeting_id)
    if fmt == "html":
        body = render_template("report.html", r=data, L=data["labels"],
                               css_url=url_for("static", filename="css/report.css"))
    else:
        body = {"docx": render_docx, "md": render_markdown, "csv": render_csv}[fmt](data)
    return _download(body, fmt, f"outcome-report-{meeting_id}-{data['lang']}.{fmt}", inline=fmt == "html")


__all__ = ["bp"]
