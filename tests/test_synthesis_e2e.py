"""Contributions from several groups over real clients become converging points, live."""

from __future__ import annotations

import pytest
import requests

from support import key_of, synthesis_at

Q = "s2-q1"


@pytest.fixture
def live_server(fresh_server):
    """A process per test: each starts with the models not loaded and no synthesis cached."""
    return fresh_server


def group_key(links, gid):
    return key_of(next(g for g in links["groups"] if g["id"] == gid)["rapporteur_url"])


def test_converging_point_and_chair_curation(live_server, connect):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    chair = connect(live_server.url, mid, key_of(links["chair_url"]))
    plenary = connect(live_server.url, mid, key_of(links["plenary_url"]))
    texts = {
        "africa": ("Bilateral labour migration agreements that protect migrant workers' rights", "en"),
        "europe-central-asia": ("Labour migration agreements between countries protecting the rights of migrant workers", "en"),
        "americas": ("Acuerdos bilaterales de migración laboral que protejan los derechos de los trabajadores migrantes", "es"),
        "mena": ("Early warning systems for climate-induced displacement in coastal areas", "en"),
    }
    ids = {}
    for gid, (text, lang) in texts.items():
        rap = connect(live_server.url, mid, group_key(links, gid))
        ack = rap.op("contribution.add", question_id=Q, text=text, lang=lang, kind="good_practice",
                     agreement="divergent" if gid == "europe-central-asia" else "consensus")
        assert ack["ok"], ack
        ids[gid] = rap.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]

    update = plenary.wait_for(lambda e: e["type"] == "synthesis.updated" and e["synthesis"]["seq"] >= ack["seq"], timeout=60)
    assert update["live"] is True
    url = f"{live_server.url}/api/m/{mid}/synthesis"
    result = requests.get(url, params={"key": key_of(links["plenary_url"]), "question": Q}).json()
    (question,) = result["questions"]
    assert question["question_id"] == Q
    labour = [c for c in question["converging"] if ids["africa"] in c["contributions"]]
    assert labour, question
    cluster = labour[0]
    assert ids["europe-central-asia"] in cluster["contributions"]
    assert set(cluster["groups"]) >= {"africa", "europe-central-asia"}
    assert cluster["strength"] > 0 and cluster["terms"]
    assert ids["mena"] in question["unique"]
    reasons = {d["reason"] for d in question["diverging"]}
    assert "divergent_views" in reasons
    # Only the chair and the plenary see the synthesis.
    assert requests.get(url, params={"key": group_key(links, "africa")}).status_code == 403

    # Curation: a title survives recomputation; detaching takes a contribution out; others are refused.
    rap = connect(live_server.url, mid, group_key(links, "africa"))
    assert rap.op("cluster.title", cluster_id=cluster["id"], title="Labour mobility")["error"]["code"] == "forbidden"
    assert chair.op("cluster.title", cluster_id=cluster["id"], title="Labour mobility")["ok"]
    assert chair.op("cluster.detach", contribution_id=ids["europe-central-asia"])["ok"]
    merged = chair.op("cluster.merge", cluster_id="c-" + ids["mena"], into=cluster["id"])
    assert merged["ok"]
    assert chair.op("cluster.title", cluster_id="c-nope", title="x")["error"]["code"] == "not_found"
    result = synthesis_at(live_server.url, mid, key_of(links["chair_url"]), merged["seq"], question=Q)
    (question,) = result["questions"]
    cluster = next(c for c in question["converging"] if c["id"] == cluster["id"])
    assert cluster["title"] == "Labour mobility"
    assert ids["europe-central-asia"] not in cluster["contributions"]
    assert ids["mena"] in cluster["contributions"]


def test_concurrent_synthesis_requests_do_not_stall_the_analysis(live_server, connect):
    """The console and the projector asking at once must not wedge the worker (eventlet tpool)."""
    import threading

    links = live_server.create_meeting()
    mid = links["meeting_id"]
    url = f"{live_server.url}/api/m/{mid}/synthesis"
    plenary = connect(live_server.url, mid, key_of(links["plenary_url"]))
    for round_ in range(3):
        rap = connect(live_server.url, mid, group_key(links, ["africa", "mena", "americas"][round_]))
        assert rap.op("contribution.add", question_id=Q, text=f"Shared data platforms on migration, round {round_}",
                      lang="en", kind="good_practice", agreement="consensus")["ok"]
        answers = []
        threads = [threading.Thread(target=lambda k=k: answers.append(requests.get(url, params={"key": k}, timeout=60).status_code))
                   for k in [key_of(links["chair_url"]), key_of(links["plenary_url"])] * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == [200] * 6
    update = plenary.wait_for(lambda e: e["type"] == "synthesis.updated"
                              and sum(len(q["converging"]) + len(q["unique"]) for q in e["synthesis"]["questions"]) >= 1,
                              timeout=60)
    assert update["live"] is True
    ack = connect(live_server.url, mid, group_key(links, "asia-pacific")).op(
        "contribution.add", question_id=Q, text="Another idea entirely: climate mobility", lang="en",
        kind="gap", agreement="consensus")
    plenary.wait_for(lambda e: e["type"] == "synthesis.updated" and e["synthesis"]["seq"] >= ack["seq"], timeout=60)


def test_arabic_and_english_observatory_converge_through_the_server(live_server, connect):
    """The pair from issue 9, typed on real boards: one converging point, shown with its evidence,
    and the chair's confirmation and rejection go through the log."""
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    chair = connect(live_server.url, mid, key_of(links["chair_url"]))
    texts = {
        "mena": ("إنشاء مرصد إقليمي مشترك للبيانات حول هجرة اليد العاملة", "ar"),
        "asia-pacific": ("Establish a shared regional labour-migration data observatory", "en"),
        "americas": ("Orientación previa a la partida para los trabajadores migrantes", "es"),
        "africa": ("Tax remittances to fund development projects in countries of origin", "en"),
    }
    ids = {}
    for gid, (text, lang) in texts.items():
        rap = connect(live_server.url, mid, group_key(links, gid))
        ack = rap.op("contribution.add", question_id="s2-q2", text=text, lang=lang, kind="recommendation",
                     agreement="consensus")
        assert ack["ok"], ack
        ids[gid] = rap.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]
    result = synthesis_at(live_server.url, mid, key_of(links["chair_url"]), ack["seq"], question="s2-q2")
    (question,) = result["questions"]
    (point,) = question["converging"]
    assert point["contributions"] == [ids["mena"], ids["asia-pacific"]]
    assert point["status"] == "suggested" and 0 < point["confidence"] <= 1
    assert set(point["evidence"]["terms"]) == {"ar", "en"}
    assert result["method"]["engine"] == "semantic" and result["method"]["fingerprint"]

    confirmed = chair.op("cluster.confirm", cluster_id=point["id"], contribution_ids=point["contributions"])
    assert confirmed["ok"]
    result = synthesis_at(live_server.url, mid, key_of(links["plenary_url"]), confirmed["seq"], question="s2-q2")
    (point,) = result["questions"][0]["converging"]
    assert point["status"] == "confirmed" and point["on_plenary"]
    rejected = chair.op("cluster.reject", cluster_id=point["id"], contribution_ids=point["contributions"])
    assert rejected["ok"]
    result = synthesis_at(live_server.url, mid, key_of(links["chair_url"]), rejected["seq"], question="s2-q2")
    assert result["questions"][0]["converging"] == []
