#!/usr/bin/env python3
"""grpcurl (fullstorydev/grpcurl, built from the Go module proxy by install-tools.sh) against a real
dyad-query, using only the .proto files (-import-path proto -proto ...), never server reflection.

Every RPC but WatchEvents (python_client_test.py streams): normal use with values computed from
events.jsonl, empty results, bad arguments (INVALID_ARGUMENT, NOT_FOUND). No expired-deadline
case here: grpcurl's -max-time bounds the dial as well, so a deadline short enough to expire
before a query ends fails the connection instead (relations_service_test and the Python test
cover deadlines).
Exit 77 (skipped) when grpcurl is not installed.
"""

import json
import os
import shutil
import subprocess
import sys

import harness

SERVICE = "dyad.v1.RelationsService"


def find_grpcurl():
    for candidate in (
        os.environ.get("DYAD_GRPCURL", ""),
        os.path.join(harness.build_dir(), "tools", "bin", "grpcurl"),
        shutil.which("grpcurl") or "",
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    harness.skip(
        "grpcurl is not installed: run tests/clients/install-tools.sh "
        + harness.build_dir()
        + " (or set DYAD_GRPCURL)"
    )


class Grpcurl:
    def __init__(self, binary, address):
        self.binary = binary
        self.address = address

    def call(self, method, request, max_time=None):
        """(status code name, parsed response or error) of one unary call."""
        args = [
            self.binary,
            "-plaintext",
            "-import-path",
            harness.proto_dir(),
            "-proto",
            "dyad/v1/relations_service.proto",
            "-emit-defaults",
            "-format-error",
            "-d",
            json.dumps(request),
        ]
        if max_time is not None:
            args += ["-max-time", str(max_time)]
        args += [self.address, f"{SERVICE}/{method}"]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if done.returncode == 0:
            return "OK", json.loads(done.stdout)
        # A failed RPC: exit code 64 + the status code, and with -format-error the status as
        # JSON on stderr, {"code": 3, "message": "..."}.
        if done.returncode > 64:
            try:
                error = json.loads(done.stderr)
            except json.JSONDecodeError:
                error = {"code": done.returncode - 64, "message": done.stderr}
            return CODES.get(error.get("code"), str(error.get("code"))), error
        raise AssertionError(
            f"grpcurl {method} exited {done.returncode}: {done.stdout} {done.stderr}")


CODES = {
    1: "CANCELLED",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    8: "RESOURCE_EXHAUSTED",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
}


def i(value):
    """int64 fields are JSON strings in protobuf JSON."""
    return int(value) if value is not None else None


def main():
    grpcurl = find_grpcurl()
    check = harness.Checks()
    events = harness.load_events("events.jsonl")
    with harness.Cluster() as cluster:
        client = Grpcurl(grpcurl, cluster.address)
        cluster.publish(events)

        def listed():
            status, page = client.call("ListEvents", {"pageSize": 1000})
            return status == "OK" and len(page.get("events", [])) == len(events)

        harness.wait_for("dyad-query to apply events.jsonl", listed)

        # --- GetRelation ------------------------------------------------------------------------
        status, rel = client.call(
            "GetRelation",
            {"source": "USA", "target": "PAK", "from": "2025-09-01", "to": "2025-09-30",
             "bucket": "BUCKET_MONTH"},
        )
        check.eq("GetRelation status", status, "OK")
        total = rel.get("total", {})
        # USA→PAK: the visit (3 mentions, 3 articles, Reuters+AP) and the strike (1, AP).
        check.eq("GetRelation events", i(total.get("events")), 2)
        check.eq("GetRelation mentions", i(total.get("mentions")), 4)
        check.eq("GetRelation articles", i(total.get("articles")), 4)
        check.eq("GetRelation sources", i(total.get("sources")), 2)
        check.eq("GetRelation verbal cooperation", i(total.get("verbalCooperation")), 1)
        check.eq("GetRelation material conflict", i(total.get("materialConflict")), 1)
        check.near("GetRelation goldstein sum", total.get("goldsteinSum"), 1.9 - 10.0)
        check.eq("GetRelation buckets", [b.get("start") for b in rel.get("buckets", [])],
                 ["2025-09-01"])
        check.eq("GetRelation top code", [c.get("code") for c in total.get("topCodes", [])],
                 ["042", "190"])
        check.eq("GetRelation exemplar", (total.get("eventIds") or [None])[0], "m-a1")

        status, rel = client.call(
            "GetRelation", {"source": "USA", "target": "PAK", "bothDirections": True})
        check.eq("GetRelation both directions events", i(rel["total"].get("events")), 3)
        check.eq("GetRelation both directions sources", i(rel["total"].get("sources")), 3)
        check.eq("GetRelation daily buckets",
                 [b.get("start") for b in rel.get("buckets", [])],
                 ["2025-09-13", "2025-09-14", "2025-09-20"])

        status, rel = client.call(
            "GetRelation", {"source": "USA", "target": "PAK", "filter": {"quadClasses": [3]}})
        check.eq("GetRelation filtered: empty", (status, rel.get("buckets"), i(rel["total"].get("events"))),
                 ("OK", [], 0))
        status, rel = client.call("GetRelation", {"source": "BRA", "target": "ARG"})
        check.eq("GetRelation unknown dyad: empty", (status, rel.get("buckets")), ("OK", []))

        status, err = client.call("GetRelation", {"target": "PAK"})
        check.eq("GetRelation no source", status, "INVALID_ARGUMENT")
        check.true("GetRelation no source says what to change",
                   "source actor is empty" in err.get("message", ""), err.get("message"))
        status, err = client.call(
            "GetRelation", {"source": "USA", "target": "PAK", "from": "1900-01-01", "to": "2025-01-01"})
        check.eq("GetRelation range too long", status, "INVALID_ARGUMENT")
        check.true("range message", "50 years" in err.get("message", ""), err.get("message"))
        # --- TopPartners ------------------------------------------------------------------------
        status, top = client.call("TopPartners", {"actor": "PAK"})
        check.eq("TopPartners status", status, "OK")
        partners = [(p.get("actor"), i(p["totals"].get("events"))) for p in top.get("partners", [])]
        check.eq("TopPartners by volume", partners, [("USA", 3), ("CHN", 1), ("IND", 1)])
        check.true("TopPartners names",
                   "United States" in (top.get("partners") or [{}])[0].get("name", ""),
                   (top.get("partners") or [{}])[0].get("name"))
        status, top = client.call(
            "TopPartners", {"actor": "PAK", "order": "PARTNER_ORDER_GOLDSTEIN", "ascending": True,
                            "limit": 1})
        check.eq("TopPartners most hostile", [p.get("actor") for p in top.get("partners", [])],
                 ["IND"])
        status, top = client.call("TopPartners", {"actor": "BRA"})
        check.eq("TopPartners empty", (status, top.get("partners")), ("OK", []))
        status, _ = client.call("TopPartners", {"actor": "PAK", "limit": 5000})
        check.eq("TopPartners limit too large", status, "INVALID_ARGUMENT")

        # --- ListEvents -------------------------------------------------------------------------
        status, page = client.call("ListEvents", {"actor": "PAK", "pageSize": 5})
        check.eq("ListEvents first page",
                 [e.get("id") for e in page.get("events", [])],
                 ["m-c1", "m-e1", "m-d2", "m-d1", "m-b1"])
        token = page.get("nextPageToken", "")
        check.true("ListEvents has a next page", token)
        status, page = client.call(
            "ListEvents", {"actor": "PAK", "pageSize": 5, "pageToken": token})
        check.eq("ListEvents second page", [e.get("id") for e in page.get("events", [])],
                 ["m-a3", "m-a2", "m-a1"])
        check.eq("ListEvents last page has no token", page.get("nextPageToken", ""), "")
        status, page = client.call("ListEvents", {"actor": "PAK", "minConfidence": 0.8})
        check.eq("ListEvents min_confidence",
                 [e.get("id") for e in page.get("events", [])], ["m-e1", "m-b1", "m-a2", "m-a1"])
        status, page = client.call("ListEvents", {"source": "RUS"})
        check.eq("ListEvents empty", (status, page.get("events")), ("OK", []))
        status, err = client.call("ListEvents", {"pageSize": 5000})
        check.eq("ListEvents page too large", status, "INVALID_ARGUMENT")
        check.true("page size message", "page_size" in err.get("message", ""), err.get("message"))
        status, _ = client.call("ListEvents", {"pageToken": "garbage!"})
        check.eq("ListEvents bad token", status, "INVALID_ARGUMENT")

        # --- GetEvent ---------------------------------------------------------------------------
        status, event = client.call("GetEvent", {"id": "m-a2"})
        check.eq("GetEvent status", status, "OK")
        check.eq("GetEvent representative", event.get("event", {}).get("id"), "m-a1")
        check.eq("GetEvent mentions oldest first",
                 [m.get("eventId") for m in event.get("mentions", [])], ["m-a1", "m-a2", "m-a3"])
        check.eq("GetEvent provenance url", (event.get("mentions") or [{}])[1].get("articleUrl"),
                 "https://apnews.example/article/rubio-pakistan-visit")
        check.eq("GetEvent articles/sources", (i(event.get("articles")), i(event.get("sources"))),
                 (3, 2))
        check.eq("GetEvent first/last seen",
                 (event.get("firstSeen"), event.get("lastSeen")),
                 ("2025-09-13T08:00:00Z", "2025-09-14T06:00:00Z"))
        check.near("GetEvent goldstein", event.get("goldstein"), 1.9)
        status, err = client.call("GetEvent", {"id": "no-such-event"})
        check.eq("GetEvent unknown id", status, "NOT_FOUND")
        status, _ = client.call("GetEvent", {"id": ""})
        check.eq("GetEvent empty id", status, "INVALID_ARGUMENT")

        # --- GetGraph ---------------------------------------------------------------------------
        status, graph = client.call("GetGraph", {"from": "2025-09-01", "to": "2025-09-30"})
        check.eq("GetGraph status", status, "OK")
        check.eq("GetGraph edges",
                 [(e.get("source"), e.get("target"), i(e.get("events"))) for e in graph.get("edges", [])],
                 [("USA", "PAK", 2), ("CHN", "PAK", 1), ("IND", "PAK", 1), ("PAK", "USA", 1)])
        check.eq("GetGraph nodes",
                 [(n.get("actor"), i(n.get("events"))) for n in graph.get("nodes", [])],
                 [("CHN", 1), ("IND", 1), ("PAK", 5), ("USA", 3)])
        status, graph = client.call("GetGraph", {"minEvents": 2})
        check.eq("GetGraph min_events", [(e.get("source"), e.get("target")) for e in graph.get("edges", [])],
                 [("USA", "PAK")])
        status, graph = client.call("GetGraph", {"from": "2020-01-01", "to": "2020-12-31"})
        check.eq("GetGraph empty", (status, graph.get("edges"), graph.get("nodes")), ("OK", [], []))
        status, _ = client.call("GetGraph", {"limit": 1000000})
        check.eq("GetGraph limit too large", status, "INVALID_ARGUMENT")

        # --- ListActors -------------------------------------------------------------------------
        status, actors = client.call("ListActors", {"prefix": "pak"})
        check.eq("ListActors status", status, "OK")
        check.eq("ListActors codes", [(a.get("code"), i(a.get("mentions"))) for a in actors.get("actors", [])],
                 [("PAKGOV", 7), ("PAKMIL", 1)])
        check.true("ListActors names", "Pakistan" in (actors.get("actors") or [{}])[0].get("name", ""),
                   (actors.get("actors") or [{}])[0].get("name"))
        status, actors = client.call("ListActors", {"prefix": "united st"})
        check.eq("ListActors by name", [a.get("code") for a in actors.get("actors", [])],
                 ["USAGOV", "USAMIL"])
        status, actors = client.call("ListActors", {"prefix": "ZZZ"})
        check.eq("ListActors empty", (status, actors.get("actors")), ("OK", []))
        status, _ = client.call("ListActors", {"limit": -1})
        check.eq("ListActors bad limit", status, "INVALID_ARGUMENT")

        check.eq("dyad-query exits 0 on SIGTERM", cluster.stop_query(), 0)
    return check.finish("grpcurl")


if __name__ == "__main__":
    sys.exit(main())
