"""The curation decisions in effect: points with an identity, cannot-link sets, undo (issue 18).

A fold, like state.py: events are facts the ops decided; applying one never fails. Each event is
folded from what it asks for (these contributions make one point, this one goes there), not from
what the op saw, so that after an undo the decisions still in effect fold again, in log order,
into a state they could have made.

``view`` is the ``curation`` of the state endpoint: the legacy keys (links, detached, titles,
titles_by_lang, confirmed, rejected, show_suggestions) beside ``points``, ``point_of``,
``rejected_sets`` and ``history``.
"""

from __future__ import annotations

# The events a person's curation logs; each can be undone (curation.undone undoes or redoes).
DECISIONS = ("cluster.confirmed", "cluster.rejected", "cluster.moved", "cluster.detached",
             "cluster.merged", "cluster.titled")
UNDONE = "curation.undone"
# What the history shows of an event, beside seq, type, by, ts and undone.
HISTORY_FIELDS = ("point_id", "cluster_id", "contribution_ids", "contribution_id", "title", "lang",
                  "into", "from", "to", "target_seq", "root_seq")


class UndoRefused(Exception):
    """``code`` is the op's error code: not_found or conflict."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def empty_view() -> dict:
    return {"links": [], "detached": [], "titles": {}, "confirmed": [], "rejected": [],
            "show_suggestions": False, "titles_by_lang": {},
            "points": {}, "point_of": {}, "rejected_sets": [], "history": []}


class CurationFold:
    """The decisions in effect (``view``), the log of them and which are undone."""

    def __init__(self, contributions: dict) -> None:
        self.contributions = contributions  # the state's, read for a new point's question
        self.view = empty_view()
        self._decisions: list[dict] = []  # every decision event, log order
        self._undone: dict[int, bool] = {}  # decision seq -> undone now
        self._entries: dict[int, dict] = {}  # seq -> its history entry
        self._undos: dict[int, list[int]] = {}  # decision seq -> seqs of the undos naming it
        self._undo_value: dict[int, tuple[int, bool]] = {}  # undo seq -> (decision, undone)
        self._rejected_of: dict[str, set[int]] = {}  # cid -> indexes into rejected_sets
        self.named: set[str] = set()  # every point id the log has made, undone or not
        # contribution ids named by the confirmations and rejections logged, undone or not: what
        # the state keeps of them (sets, history) grows with it, and ops/curation.py bounds it
        self.ids_logged = 0
        # cluster id -> {lang, "" for the title without one: seq of the last event that changed
        # it (its cluster.titled, or an undo or redo of one)}: cluster.title's `version`
        self.title_versions: dict[str, dict[str, int]] = {}

    # ----- events ---------------------------------------------------------------------------

    def apply(self, e: dict) -> None:
        self._record(e)
        if e["type"] == UNDONE:
            self._apply_undo(e)
            return
        self._decisions.append(e)
        self._undone[e["seq"]] = False
        if e["type"] == "cluster.titled":
            self._title_changed(e, e["seq"])
        self.ids_logged += len(e.get("contribution_ids") or ())
        self._fold(e)

    def show_suggestions(self, shown: bool) -> None:
        self.view["show_suggestions"] = shown

    def _record(self, e: dict) -> None:
        entry = {"seq": e["seq"], "type": e["type"], "by": e.get("by"), "ts": e.get("ts"),
                 "undone": False}
        entry.update({k: e[k] for k in HISTORY_FIELDS if k in e})
        self.view["history"].append(entry)
        self._entries[e["seq"]] = entry

    def _fold(self, e: dict) -> None:
        getattr(self, "_" + e["type"].split(".", 1)[1])(e)

    # ----- undo -----------------------------------------------------------------------------

    def undo_target(self, seq) -> tuple[str, int, bool]:
        """(type of the event at ``seq``, the decision it comes down to, whether that decision
        would be undone) for `curation.undo {seq}`, or UndoRefused."""
        if isinstance(seq, int) and seq in self._undone:
            if self._undone[seq]:
                raise UndoRefused("conflict", "This decision is undone already.")
            return self._entries[seq]["type"], seq, True
        if isinstance(seq, int) and seq in self._undo_value:
            root, value = self._undo_value[seq]
            if self._undone[root] != value:
                raise UndoRefused("conflict", "This undo is undone already.")
            return UNDONE, root, not value
        raise UndoRefused("not_found", "No curation decision was logged at this seq.")

    def _apply_undo(self, e: dict) -> None:
        target = e["target_seq"]
        root = target if target in self._undone else self._undo_value[target][0]
        self._undo_value[e["seq"]] = (root, bool(e["undone"]))
        self._undos.setdefault(root, []).append(e["seq"])
        self._undone[root] = bool(e["undone"])
        if self._entries[root]["type"] == "cluster.titled":
            self._title_changed(self._entries[root], e["seq"])
        entry = self._entries[root]
        entry["undone"] = self._undone[root]
        entry["undone_by"] = e["seq"] if entry["undone"] else None
        for undo in self._undos[root]:  # an undo is itself undone once its decision is back
            self._entries[undo]["undone"] = self._undone[root] != self._undo_value[undo][1]
        self._refold()

    def _title_changed(self, titled: dict, seq: int) -> None:
        self.title_versions.setdefault(titled["cluster_id"], {})[titled.get("lang") or ""] = seq

    def title_version(self, cluster_id: str, lang: str | None) -> int:
        return self.title_versions.get(cluster_id, {}).get(lang or "", 0)

    def _refold(self) -> None:
        """The decisions still in effect, folded again from nothing, in log order."""
        kept = {k: self.view[k] for k in ("show_suggestions", "history")}
        self.view.clear()
        self.view.update(empty_view(), **kept)
        self._rejected_of = {}
        for e in self._decisions:
            if not self._undone[e["seq"]]:
                self._fold(e)

    # ----- points ---------------------------------------------------------------------------

    def _new_point(self, pid: str, seq: int, first: str) -> None:
        v = self.view
        self.named.add(pid)
        v["points"][pid] = {"id": pid, "question_id": (self.contributions.get(first) or {}).get("question_id"),
                            "members": [], "title": v["titles"].get(pid),
                            "titles": dict(v["titles_by_lang"].get(pid, {})), "created_seq": seq}

    def _leave(self, cid: str) -> None:
        pid = self.view["point_of"].pop(cid, None)
        if pid is not None:
            self.view["points"][pid]["members"].remove(cid)

    def _join(self, pid: str, cids: list[str]) -> None:
        point, point_of = self.view["points"][pid], self.view["point_of"]
        for cid in cids:
            if point_of.get(cid) != pid:
                self._leave(cid)
                point["members"].append(cid)
                point_of[cid] = pid
        joined = set(cids)
        self.view["detached"] = [c for c in self.view["detached"] if c not in joined]
        self._lift(point["members"])

    def _confirmed(self, e: dict) -> None:
        """These make one point: the oldest point among them (and the one the op named) keeps
        its identity; the others are emptied into it. A legacy event names its point by its
        cluster id."""
        ids, points = list(e["contribution_ids"]), self.view["points"]
        pid = e.get("point_id") or e["cluster_id"]
        found = [pid] if pid in points else []
        found += [p for p in dict.fromkeys(self.view["point_of"].get(c) for c in ids)
                  if p is not None and p not in found]
        if found:
            pid = min(found, key=lambda p: points[p]["created_seq"])
        else:
            self._new_point(pid, e["seq"], ids[0])
        for other in found:
            if other != pid:
                self._join(pid, list(points[other]["members"]))
        self._join(pid, ids)
        self.view["confirmed"].append(ids)

    def _rejected(self, e: dict) -> None:
        """Not one point: a cannot-link set. Where several sit in one point, all but the
        earliest-joined of them leave it."""
        ids, members = list(e["contribution_ids"]), set(e["contribution_ids"])
        by_point: dict[str, list[str]] = {}
        for cid in ids:
            pid = self.view["point_of"].get(cid)
            if pid is not None:
                by_point.setdefault(pid, []).append(cid)
        for pid, cids in by_point.items():
            order = self.view["points"][pid]["members"]
            keep = min(cids, key=order.index)
            for cid in cids:
                if cid != keep:
                    self._leave(cid)
        self._add_set(ids)
        v = self.view
        v["links"] = [p for p in v["links"] if not (p[0] in members and p[1] in members)]
        v["confirmed"] = [g for g in ([c for c in g if c not in members] for g in v["confirmed"])
                          if len(g) >= 2]

    def _moved(self, e: dict) -> None:
        cid, to = e["contribution_id"], e.get("to")
        self._leave(cid)
        if to in self.view["points"]:
            self._join(to, [cid])
        elif to is None and cid not in self.view["detached"]:
            self.view["detached"].append(cid)  # stands alone: the engine leaves it alone too

    def _detached(self, e: dict) -> None:
        cid, v = e["contribution_id"], self.view
        v["links"] = [pair for pair in v["links"] if cid not in pair]
        v["confirmed"] = [g for g in ([c for c in g if c != cid] for g in v["confirmed"]) if len(g) >= 2]
        self._moved({"contribution_id": cid, "to": None})

    def _merged(self, e: dict) -> None:
        v = self.view
        if "contribution_a" not in e:  # into a point: the other point's members, or those named
            self._merge_points(e["cluster_id"], e["into"], e["members"])
            return
        v["links"].append([e["contribution_a"], e["contribution_b"]])
        anchors = (e["contribution_a"], e["contribution_b"])
        v["detached"] = [c for c in v["detached"] if c not in anchors]

    def _merge_points(self, source: str, into: str, named: list[str]) -> None:
        """A point keeps its identity whichever side of the merge it is on."""
        points = self.view["points"]
        if into in points:
            self._join(into, list(points[source]["members"]) if source in points else list(named))
        elif source in points:
            self._join(source, list(named))

    def _titled(self, e: dict) -> None:
        v, cid = self.view, e["cluster_id"]
        if e.get("lang"):  # a title in one language; the title without a language stays
            titles = v["titles_by_lang"].setdefault(cid, {})
            if e.get("title"):
                titles[e["lang"]] = e["title"]
            else:
                titles.pop(e["lang"], None)
                if not titles:
                    v["titles_by_lang"].pop(cid, None)
        elif e.get("title"):
            v["titles"][cid] = e["title"]
        else:
            v["titles"].pop(cid, None)
        point = v["points"].get(cid)
        if point is not None:  # the point's own title, whoever its members are now
            point["title"] = v["titles"].get(cid)
            point["titles"] = dict(v["titles_by_lang"].get(cid, {}))

    # ----- cannot-link sets -----------------------------------------------------------------

    def _add_set(self, ids: list[str]) -> None:
        sets = self.view["rejected_sets"]
        for cid in ids:
            self._rejected_of.setdefault(cid, set()).add(len(sets))
        sets.append(list(ids))

    def _lift(self, members: list[str]) -> None:
        """The latest word wins: no cannot-link holds between members of one point. A set with
        several of them is split into one set per member, each with the set's other ids."""
        inside = set(members)
        touched = {i for cid in members for i in self._rejected_of.get(cid, ())}
        touched = {i for i in touched if sum(c in inside for c in self.view["rejected_sets"][i]) >= 2}
        if not touched:
            return
        old, self.view["rejected_sets"], self._rejected_of = self.view["rejected_sets"], [], {}
        for i, s in enumerate(old):
            if i not in touched:
                self._add_set(s)
                continue
            outside = [c for c in s if c not in inside]
            for cid in (c for c in s if c in inside) if outside else ():
                self._add_set(outside + [cid])
