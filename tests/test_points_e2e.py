"""The synthesis desk through a real server (issue 18): the curator's key over HTTP and Socket.IO,
the suggestions endpoint's order and exclusions, decisions (and their undo) surviving kill -9 on
SQLite and on Redis, the curator in the role matrix. The rules themselves: test_points.py."""

from __future__ import annotations

import itertools

import pytest
import requests

from support import ServerProcess, key_of, rapporteur_key, synthesis_at

Q = "s2-q3"
TEXTS = [  # (group, lang, text): one proposal raised by three groups, and others
    ("africa", "fr", "Créer un observatoire régional des données sur les migrations de travail."),
    ("mena", "ar", "إنشاء مرصد إقليمي مشترك للبيانات حول هجرة اليد العاملة"),
    ("asia-pacific", "en", "Establish a shared regional labour-migration data observatory."),
    ("americas", "es", "Orientación previa a la partida para los trabajadores migrantes."),
    ("europe-central-asia", "en", "Pre-departure orientation for migrant workers reduces exploitation."),
    ("africa", "en", "Social security rights must follow the worker who returns home."),
]


def board(server, connect, links) -> list[str]:
    """TEXTS typed on the groups' boards; their ids in TEXTS' order."""
    ids = []
    for group, lang, text in TEXTS:
        rap = connect(server.url, links["meeting_id"], rapporteur_key(links, group))
        ack = rap.op("contribution.add", question_id=Q, text=text, lang=lang, kind="recommendation",
                     agreement="consensus")
        assert ack["ok"], ack
        ids.append(rap.wait_for(lambda e: e["type"] == "contribution.added" and e["seq"] == ack["seq"])
                   ["contribution"]["id"])
    return ids


def get(server, links, path, key=None, **params):
    key = key or key_of(links["curator_url"])
    return requests.get(f"{server.url}/api/m/{links['meeting_id']}/{path}", params=dict(params, key=key),
                        timeout=120)


def suggested(server, links, **params) -> list[frozenset]:
    response = get(server, links, "suggestions", question=Q, limit=200, **params)
    assert response.status_code == 200, response.text
    return [frozenset((p["a"], p["b"])) for p in response.json()["pairs"]]


def test_the_suggestions_endpoint_orders_and_leaves_out_what_is_decided(live_server, connect):
    links = live_server.create_meeting()
    ids = board(live_server, connect, links)
    groups = {cid: group for cid, (group, _, _) in zip(ids, TEXTS)}
    response = get(live_server, links, "suggestions", question=Q)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["question_id"] == Q and body["seq"] >= 7
    pairs = body["pairs"]
    assert pairs and [p["score"] for p in pairs] == sorted((p["score"] for p in pairs), reverse=True)
    assert all(groups[p["a"]] != groups[p["b"]] and isinstance(p["terms"], list) for p in pairs)
    assert len(pairs) == sum(groups[a] != groups[b] for a, b in itertools.combinations(ids, 2))
    assert len(get(live_server, links, "suggestions", question=Q, limit=2).json()["pairs"]) == 2
    # the chair's key too; nobody else's; and the question is named and known
    assert get(live_server, links, "suggestions", key_of(links["chair_url"]), question=Q).status_code == 200
    for key in (key_of(links["plenary_url"]), key_of(links["translator_url"]), rapporteur_key(links, "africa")):
        assert get(live_server, links, "suggestions", key, question=Q).status_code == 403
    assert get(live_server, links, "suggestions").json()["error"]["code"] == "invalid"
    assert get(live_server, links, "suggestions", question="s9-q9").status_code == 404
    for limit in ("0", "201", "x", "²"):
        assert get(live_server, links, "suggestions", question=Q, limit=limit).status_code == 400

    # every decision acknowledged before a request is in its answer
    curator = connect(live_server.url, links["meeting_id"], key_of(links["curator_url"]))
    rejected = frozenset((ids[3], ids[1]))  # orientation (es) and observatory (ar): not one proposal
    assert curator.op("cluster.reject", contribution_ids=sorted(rejected))["ok"]
    assert rejected not in suggested(live_server, links)
    assert curator.op("cluster.confirm", point_id="p-observatory", contribution_ids=[ids[0], ids[1], ids[2]])["ok"]
    left = suggested(live_server, links)
    assert not {frozenset(p) for p in itertools.combinations(ids[:3], 2)} & set(left)
    # a rejection is never proposed again, whatever arrives after it
    rap = connect(live_server.url, links["meeting_id"], rapporteur_key(links, "americas"))
    added = rap.op("contribution.add", question_id=Q, text="Un observatorio regional de datos sobre migración laboral.",
                   lang="es", kind="recommendation", agreement="consensus")
    assert added["ok"]
    assert rejected not in suggested(live_server, links)

    result = synthesis_at(live_server.url, links["meeting_id"], key_of(links["curator_url"]), added["seq"], question=Q)
    (point,) = [p for p in result["questions"][0]["converging"] if p["id"] == "p-observatory"]
    assert point["status"] == "confirmed" and point["on_plenary"] and point["central"] in ids[:3]
    assert point["contributions"] == ids[:3]  # the engine adds nobody to a person's point

    # a note in two points (cluster.include): no pair it makes in either is proposed again
    assert curator.op("cluster.confirm", point_id="p-orientation", contribution_ids=[ids[3], ids[4]])["ok"]
    assert curator.op("cluster.include", contribution_ids=[ids[4], ids[0]])["ok"]
    left = set(suggested(live_server, links))
    assert not {frozenset((ids[4], x)) for x in ids[:3] + [ids[3]]} & left
    assert frozenset((ids[5], ids[4])) in left or any(ids[5] in p for p in left)


def test_the_curator_in_the_role_matrix_over_the_wire(live_server, connect):
    links = live_server.create_meeting()
    ids = board(live_server, connect, links)
    curator = connect(live_server.url, links["meeting_id"], key_of(links["curator_url"]))
    for op_type, fields in [("contribution.add", {"question_id": Q, "text": "x", "kind": "gap", "agreement": "consensus"}),
                            ("outcome.mark", {"contribution_id": ids[0]}), ("spotlight.set", {}),
                            ("ballot.open", {"contribution_ids": [ids[0]]}), ("translation.set", {}),
                            ("session.set", {"session_id": "s3-followup"}), ("plenary.show_suggestions", {"shown": True})]:
        assert curator.op(op_type, **fields)["error"]["code"] == "forbidden", op_type
    assert curator.op("cluster.confirm", contribution_ids=[ids[0], ids[2]])["ok"]
    state = get(live_server, links, "state").json()
    assert state["role"] == "curator" and len(state["contributions"]) == len(TEXTS)
    assert list(state["curation"]["points"].values())[0]["members"] == [ids[0], ids[2]]
    for hidden in ("ballots", "outcome", "participants"):
        assert hidden not in state
    assert get(live_server, links, "synthesis").status_code == 200
    assert get(live_server, links, "report.md").status_code == 403
    # the synthesis desk's page answers to the curator's key only (its template: the desk branch)
    page = requests.get(links["curator_url"].replace("/synthesis", "/chair"), allow_redirects=False, timeout=30)
    assert page.status_code == 403


UNDONE = [  # each op, then undone: the log keeps both, and the state is as before it
    ("cluster.move", {"to": None}),
    ("cluster.title", {"cluster_id": "p-observatory", "title": "Mistyped"}),
    ("cluster.reject", {}),
]


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_decisions_and_their_undo_survive_kill_9(tmp_path, connect, store, request):
    redis_url = request.getfixturevalue("redis_url") if store == "redis" else None
    server = ServerProcess(str(tmp_path), redis_url=redis_url).start()
    try:
        links = server.create_meeting()
        ids = board(server, connect, links)
        curator = connect(server.url, links["meeting_id"], key_of(links["curator_url"]))
        assert curator.op("cluster.confirm", point_id="p-observatory", contribution_ids=ids[:3])["ok"]
        assert curator.op("cluster.title", cluster_id="p-observatory", title="A regional data observatory")["ok"]
        assert curator.op("cluster.confirm", point_id="p-orientation", contribution_ids=ids[3:5])["ok"]
        assert curator.op("cluster.merge", cluster_id="p-orientation", into="p-observatory")["ok"]
        merge_undo = curator.op("curation.undo", seq=curator.op("cluster.detach", contribution_id=ids[4])["seq"])
        assert merge_undo["ok"]
        for op_type, fields in UNDONE:
            fields = dict(fields, **({"contribution_ids": [ids[0], ids[2]]} if op_type == "cluster.reject" else {}))
            if op_type == "cluster.move":
                fields["contribution_id"] = ids[0]
            ack = curator.op(op_type, **fields)
            assert ack["ok"], (op_type, ack)
            assert curator.op("curation.undo", seq=ack["seq"])["ok"]
        undo_merge = curator.op("curation.undo", seq=next(
            h["seq"] for h in get(server, links, "state").json()["curation"]["history"] if h["type"] == "cluster.merged"))
        assert undo_merge["ok"]
        before = get(server, links, "state").json()["curation"]
        server.restart()  # kill -9, then the same store
        after = get(server, links, "state").json()["curation"]
        assert after == before
        assert after["points"]["p-observatory"]["members"] == ids[:3]
        assert after["points"]["p-observatory"]["title"] == "A regional data observatory"
        assert after["points"]["p-orientation"]["members"] == ids[3:5]
        assert after["rejected_sets"] == [] and after["detached"] == []
        assert [h["undone"] for h in after["history"]].count(True) == 5
        result = synthesis_at(server.url, links["meeting_id"], key_of(links["curator_url"]),
                              get(server, links, "state").json()["seq"], question=Q)
        shown = {p["id"]: p for p in result["questions"][0]["converging"]}
        assert shown["p-observatory"]["title"] == "A regional data observatory"
        assert shown["p-orientation"]["status"] == "confirmed"
        fresh = connect(server.url, links["meeting_id"], key_of(links["curator_url"]))
        assert fresh.op("curation.undo", seq=undo_merge["seq"])["ok"]  # redo, after the restart
        assert get(server, links, "state").json()["curation"]["points"]["p-orientation"]["members"] == []
    finally:
        server.stop()
        server.cleanup_redis()
