"""The curation decisions in effect: points with an identity, cannot-link sets, undo (issue 18).

A fold, like state.py: events are facts the ops decided; applying one never fails. Each event is
folded from what it asks for (these contributions make one point, this one goes there), not from
what the op saw, so that after an undo the decisions still in effect fold again, in log order,
into a state they could have made.

``view`` is the ``curation`` of the state endpoint: the legacy keys (links, detached, titles,
titles_by_lang, confirmed, rejected, show_suggestions) beside ``points``, ``point_of``,
``also_of``, ``rejected_sets`` and ``history``.

A note can carry two proposals, so a contribution may sit in several points: ``point_of`` is
its primary point, ``also_of`` the points it is an additional member of (``cluster.included``);
every point's ``members`` lists both kinds. A contribution with any membership has a primary one:
leaving its primary point promotes its earliest additional one.
"""

from __future__ import annotations

# The events a person's curation logs; each can be undone (curation.undone undoes or redoes).
DECISIONS = ("cluster.confirmed", "cluster.rejected", "cluster.moved", "cluster.detached",
             "cluster.merged", "cluster.titled", "cluster.included")
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
            "points": {}, "point_of": {}, "also_of": {}, "rejected_sets": [], "history": []}


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

    def points_of(self, cid: str) -> list[str]:
        """Every point ``cid`` is in: its primary point first."""
        return points_of(self.view, cid)

    def _leave_point(self, cid: str, pid: str) -> None:
        """``cid`` leaves ``pid`` only; leaving its primary point promotes its earliest
        additional one."""
        v = self.view
        also = v["also_of"].get(cid, [])
        if v["point_of"].get(cid) == pid:
            del v["point_of"][cid]
            if also:
                v["point_of"][cid] = also.pop(0)
        elif pid in also:
            also.remove(pid)
        else:
            return
        if not also:
            v["also_of"].pop(cid, None)
        v["points"][pid]["members"].remove(cid)

    def _leave(self, cid: str) -> None:
        """``cid`` leaves every point it is in."""
        for pid in self.points_of(cid):
            self._leave_point(cid, pid)

    def _join(self, pid: str, cids: list[str]) -> None:
        """These make ``pid`` their primary point: each leaves its primary point (an additional
        membership of ``pid`` becomes the primary one); other additional memberships stay."""
        v = self.view
        point, point_of = v["points"][pid], v["point_of"]
        for cid in cids:
            if point_of.get(cid) == pid:
                continue
            old, also = point_of.get(cid), v["also_of"].get(cid, [])
            if pid in also:
                also.remove(pid)
                if not also:
                    v["also_of"].pop(cid, None)
            else:
                point["members"].append(cid)
            if old is not None:
                v["points"][old]["members"].remove(cid)
            point_of[cid] = pid
        joined = set(cids)
        v["detached"] = [c for c in v["detached"] if c not in joined]
        self._lift(point["members"])

    def _add_member(self, pid: str, cid: str) -> None:
        """``cid`` joins ``pid`` as an additional member (as its primary point when it has none)."""
        v = self.view
        if cid in v["points"][pid]["members"]:
            return
        if v["point_of"].get(cid) is None:
            self._join(pid, [cid])
            return
        v["points"][pid]["members"].append(cid)
        v["also_of"].setdefault(cid, []).append(pid)
        v["detached"] = [c for c in v["detached"] if c != cid]
        self._lift(v["points"][pid]["members"])

    def _absorb(self, pid: str, other: str) -> None:
        """Every member of ``other`` joins ``pid`` as it was in ``other``: a primary member as a
        primary one, an additional member as an additional one."""
        members = list(self.view["points"][other]["members"])
        self._join(pid, [c for c in members if self.view["point_of"].get(c) == other])
        for cid in members:
            if cid in self.view["points"][other]["members"]:  # an additional member still
                self._leave_point(cid, other)
                self._add_member(pid, cid)

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
                self._absorb(pid, other)
        self._join(pid, ids)
        self.view["confirmed"].append(ids)

    def _included(self, e: dict) -> None:
        """a and b make one proposal and a keeps its points: a joins b's (primary) point as an
        additional member, or a new point {b, a} is made."""
        a, b = e["contribution_ids"]
        pid = self.view["point_of"].get(b)
        if pid is None:
            pid = e["point_id"]
            if pid not in self.view["points"]:
                self._new_point(pid, e["seq"], b)
            self._join(pid, [b])
        self._add_member(pid, a)

    def _rejected(self, e: dict) -> None:
        """Not one point: a cannot-link set. Where several sit in one point (by any membership),
        all but the earliest-joined of them leave that point."""
        ids, members = list(e["contribution_ids"]), set(e["contribution_ids"])
        for pid, cids in together_in_points(self.view, ids).items():
            order = self.view["points"][pid]["members"]
            keep = min(cids, key=order.index)
            for cid in cids:
                if cid != keep:
                    self._leave_point(cid, pid)
        self._add_set(ids)
        v = self.view
        v["links"] = [p for p in v["links"] if not (p[0] in members and p[1] in members)]
        v["confirmed"] = [g for g in ([c for c in g if c not in members] for g in v["confirmed"])
                          if len(g) >= 2]

    def _moved(self, e: dict) -> None:
        """Into a point: it becomes the primary one (its other additional memberships stay).
        To stand alone: out of every point."""
        cid, to = e["contribution_id"], e.get("to")
        if to in self.view["points"]:
            self._join(to, [cid])
            return
        self._leave(cid)
        if to is None and cid not in self.view["detached"]:
            self.view["detached"].append(cid)  # stands alone: the engine leaves it alone too

    def _detached(self, e: dict) -> None:
        cid, v = e["contribution_id"], self.view
        pid = e.get("point_id")
        if pid is not None and len(self.points_of(cid)) > 1:
            if pid in self.points_of(cid):  # one of its points: that membership ends, only it
                self._leave_point(cid, pid)
            return
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
        if into in points and source in points:
            self._absorb(into, source)
        elif into in points:
            self._join(into, list(named))
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


def points_of(view: dict, cid: str) -> list[str]:
    """Every point ``cid`` is in, in a curation ``view``: its primary point first."""
    primary = view["point_of"].get(cid)
    return ([primary] if primary is not None else []) + list(view.get("also_of", {}).get(cid, ()))


def together_in_points(view: dict, ids: list[str]) -> dict[str, list[str]]:
    """point id -> those of ``ids`` in it, by any membership (primary or additional)."""
    by_point: dict[str, list[str]] = {}
    for cid in ids:
        for pid in points_of(view, cid):
            by_point.setdefault(pid, []).append(cid)
    return by_point
