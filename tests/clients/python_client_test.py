#!/usr/bin/env python3
"""Python grpcio (PyPI) against a real dyad-query, with stubs generated at test time from proto/ by
grpcio-tools: the API used as a Python analyst would, nothing of ours but the .proto files.

Every RPC: normal use with values computed from events.jsonl, an empty result, bad arguments;
WatchEvents: every new mention (in order per dyad), a filter, cancellation, a deadline, a bad
filter, and UNAVAILABLE when dyad-query shuts down (SIGTERM). (No tiny deadlines on the unary calls: gRPC
core rounds deadlines up to the millisecond and these queries answer within one, so such a check
could not fail; relations_service_test makes the server slow on purpose for that.) Runs in the venv install-tools.sh makes
(<build>/clients-venv); exit 77 (skipped) when it is missing.
"""

import importlib
import os
import shutil
import sys
import tempfile
import threading
import time

import harness


STUB_DIRS = []  # removed at exit


def ensure_venv():
    """Re-runs this script with the venv's python when grpc is not importable here."""
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
        return
    except ImportError:
        pass
    venv_python = os.path.join(harness.build_dir(), "clients-venv", "bin", "python")
    # The venv's python is a symlink to the system one: compare by an environment mark, not path.
    if os.access(venv_python, os.X_OK) and not os.environ.get("DYAD_CLIENTS_IN_VENV"):
        os.environ["DYAD_CLIENTS_IN_VENV"] = "1"
        os.execv(venv_python, [venv_python] + sys.argv)
    harness.skip(
        "python grpcio/grpcio-tools are not installed: run tests/clients/install-tools.sh "
        + harness.build_dir()
    )


def generate_stubs(out_dir):
    """dyad/v1/*_pb2.py and *_pb2_grpc.py from proto/, importable from out_dir."""
    from grpc_tools import protoc
    import grpc_tools

    protos = [
        os.path.join("dyad", "v1", name)
        for name in ("event.proto", "relations_service.proto")
    ]
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    code = protoc.main(
        ["protoc", "-I" + harness.proto_dir(), "-I" + well_known, "--python_out=" + out_dir,
         "--grpc_python_out=" + out_dir] + protos
    )
    if code != 0:
        raise AssertionError(f"grpc_tools.protoc failed ({code}) on {protos}")
    sys.path.insert(0, out_dir)
    pb = importlib.import_module("dyad.v1.relations_service_pb2")
    pb_grpc = importlib.import_module("dyad.v1.relations_service_pb2_grpc")
    return pb, pb_grpc


def main():
    ensure_venv()
    import grpc
    from google.protobuf import json_format

    check = harness.Checks()
    stubs_dir = tempfile.mkdtemp(prefix="dyad-py-stubs-")
    STUB_DIRS.append(stubs_dir)
    pb, pb_grpc = generate_stubs(stubs_dir)
    events = harness.load_events("events.jsonl")
    live = harness.load_events("live_events.jsonl")

    def code_of(call, request, timeout=10):
        try:
            return "OK", call(request, timeout=timeout)
        except grpc.RpcError as error:
            return error.code().name, error

    with harness.Cluster() as cluster:
        channel = grpc.insecure_channel(cluster.address)
        stub = pb_grpc.RelationsServiceStub(channel)
        cluster.publish(events)
        harness.wait_for(
            "dyad-query to apply events.jsonl",
            lambda: len(stub.ListEvents(pb.ListEventsRequest(page_size=1000), timeout=10).events)
            == len(events),
        )

        # --- GetRelation ------------------------------------------------------------------------
        status, rel = code_of(stub.GetRelation, pb.GetRelationRequest(
            source="usa", target="PAK", bucket=pb.BUCKET_WEEK, both_directions=True))
        check.eq("GetRelation status", status, "OK")
        # ISO weeks: 2025-09-13/14 are in the week of Monday 09-08, 09-20 in that of 09-15.
        check.eq("GetRelation weeks", [(b.start, b.events) for b in rel.buckets],
                 [("2025-09-08", 2), ("2025-09-15", 1)])
        check.eq("GetRelation total", (rel.total.events, rel.total.mentions, rel.total.articles,
                                       rel.total.sources), (3, 5, 5, 3))
        check.near("GetRelation goldstein mean", rel.total.goldstein_mean, (1.9 + 4.0 - 10.0) / 3)
        check.eq("GetRelation root codes", dict(rel.total.root_codes), {"04": 1, "03": 1, "19": 1})
        check.eq("GetRelation code names", [(c.code, c.name) for c in rel.total.top_codes][:1],
                 [("042", "Make a visit")])
        status, rel = code_of(stub.GetRelation, pb.GetRelationRequest(
            source="USA", target="PAK", filter=pb.EventFilter(min_confidence=0.85)))
        # Only m-a1 (0.9) is left of the visit; the strike (0.6) goes.
        check.eq("GetRelation min_confidence", (rel.total.events, rel.total.mentions), (1, 1))
        status, rel = code_of(stub.GetRelation, pb.GetRelationRequest(
            source="USA", target="PAK", **{"from": "2024-01-01", "to": "2024-12-31"}))
        check.eq("GetRelation empty", (status, len(rel.buckets), rel.total.events), ("OK", 0, 0))
        status, err = code_of(stub.GetRelation, pb.GetRelationRequest(source="USA", target="P-K"))
        check.eq("GetRelation bad actor", status, "INVALID_ARGUMENT")
        check.true("bad actor message", "letters and digits" in err.details(), err.details())
        status, err = code_of(stub.GetRelation, pb.GetRelationRequest(
            source="USA", target="PAK", filter=pb.EventFilter(quad_classes=[9])))
        check.eq("GetRelation bad filter", status, "INVALID_ARGUMENT")

        # --- TopPartners ------------------------------------------------------------------------
        status, top = code_of(stub.TopPartners, pb.TopPartnersRequest(
            actor="PAK", order=pb.PARTNER_ORDER_COOPERATION))
        check.eq("TopPartners cooperation", [(p.actor, p.totals.verbal_cooperation +
                                              p.totals.material_cooperation) for p in top.partners],
                 [("USA", 2), ("CHN", 1), ("IND", 0)])
        status, top = code_of(stub.TopPartners, pb.TopPartnersRequest(
            actor="PAK", partner_code_length=6, directed=True))
        check.eq("TopPartners directed roles", [p.actor for p in top.partners], ["USAGOV"])
        status, top = code_of(stub.TopPartners, pb.TopPartnersRequest(actor="UKR"))
        check.eq("TopPartners empty", (status, len(top.partners)), ("OK", 0))
        status, _ = code_of(stub.TopPartners, pb.TopPartnersRequest(actor=""))
        check.eq("TopPartners no actor", status, "INVALID_ARGUMENT")

        # --- ListEvents -------------------------------------------------------------------------
        ids, token = [], ""
        while True:
            page = stub.ListEvents(pb.ListEventsRequest(code="04", page_size=1, page_token=token),
                                   timeout=10)
            ids += [e.id for e in page.events]
            token = page.next_page_token
            if not token:
                break
        check.eq("ListEvents paged one by one", ids, ["m-a3", "m-a2", "m-a1"])
        status, page = code_of(stub.ListEvents, pb.ListEventsRequest(quad_class=4))
        check.eq("ListEvents quad class", [e.id for e in page.events], ["m-c1"])
        check.eq("ListEvents returns the full record", page.events[0].sentence if page.events else "",
                 events[4]["sentence"])
        status, page = code_of(stub.ListEvents, pb.ListEventsRequest(
            **{"from": "2026-01-01"}))
        check.eq("ListEvents empty", (status, len(page.events)), ("OK", 0))
        status, _ = code_of(stub.ListEvents, pb.ListEventsRequest(min_confidence=2))
        check.eq("ListEvents bad confidence", status, "INVALID_ARGUMENT")

        # --- GetEvent ---------------------------------------------------------------------------
        status, event = code_of(stub.GetEvent, pb.GetEventRequest(id="m-d2"))
        check.eq("GetEvent status", status, "OK")
        check.eq("GetEvent event", (event.event.id, [m.event_id for m in event.mentions]),
                 ("m-d1", ["m-d1", "m-d2"]))
        check.eq("GetEvent publishers", sorted(m.publisher for m in event.mentions),
                 ["Dawn", "The Hindu"])
        first = event.mentions[0] if event.mentions else pb.Mention()
        check.eq("GetEvent offsets", (first.sentence_begin, first.sentence_end, first.trigger_begin,
                                      first.trigger_end), (0, 80, 18, 26))
        status, _ = code_of(stub.GetEvent, pb.GetEventRequest(id="m-zz"))
        check.eq("GetEvent unknown", status, "NOT_FOUND")

        # --- GetGraph ---------------------------------------------------------------------------
        status, graph = code_of(stub.GetGraph, pb.GetGraphRequest(limit=2))
        check.eq("GetGraph limit", ([(e.source, e.target) for e in graph.edges], graph.truncated),
                 ([("USA", "PAK"), ("CHN", "PAK")], True))
        usa_pak = graph.edges[0] if graph.edges else pb.GraphEdge()
        check.eq("GetGraph weights", (usa_pak.events, usa_pak.mentions, usa_pak.cooperation,
                                      usa_pak.conflict), (2, 4, 1, 1))
        status, graph = code_of(stub.GetGraph, pb.GetGraphRequest(
            node_code_length=6, filter=pb.EventFilter(root_codes=["11"])))
        check.eq("GetGraph roles and filter", [(e.source, e.target, e.events) for e in graph.edges],
                 [("INDGOV", "PAKGOV", 1)])
        status, graph = code_of(stub.GetGraph, pb.GetGraphRequest(min_events=100))
        check.eq("GetGraph empty", (status, len(graph.edges)), ("OK", 0))
        status, _ = code_of(stub.GetGraph, pb.GetGraphRequest(min_events=-1))
        check.eq("GetGraph bad min_events", status, "INVALID_ARGUMENT")

        # --- ListActors -------------------------------------------------------------------------
        status, actors = code_of(stub.ListActors, pb.ListActorsRequest(prefix="IN"))
        check.eq("ListActors", [(a.code, a.mentions) for a in actors.actors], [("INDGOV", 2)])
        status, actors = code_of(stub.ListActors, pb.ListActorsRequest(limit=2))
        check.eq("ListActors from the start", [a.code for a in actors.actors], ["CHNGOV", "INDGOV"])
        status, actors = code_of(stub.ListActors, pb.ListActorsRequest(prefix="Q"))
        check.eq("ListActors empty", (status, len(actors.actors)), ("OK", 0))
        status, _ = code_of(stub.ListActors, pb.ListActorsRequest(limit=100000))
        check.eq("ListActors limit too large", status, "INVALID_ARGUMENT")

        # --- WatchEvents ------------------------------------------------------------------------
        bad = stub.WatchEvents(pb.WatchEventsRequest(quad_class=7), timeout=10)
        status = "OK"
        try:
            list(bad)
        except grpc.RpcError as error:
            status = error.code().name
        check.eq("WatchEvents bad filter", status, "INVALID_ARGUMENT")

        everything = stub.WatchEvents(pb.WatchEventsRequest(), timeout=60)
        china = stub.WatchEvents(pb.WatchEventsRequest(actor="chn", buffer=10), timeout=60)
        doomed = stub.WatchEvents(pb.WatchEventsRequest(actor="CHN"), timeout=60)
        # Headers arrive once the server has subscribed the stream.
        for stream in (everything, china, doomed):
            stream.initial_metadata()
        # A deadline ends a stream that has nothing to send.
        started = time.monotonic()
        quiet = stub.WatchEvents(pb.WatchEventsRequest(actor="ZZZ"), timeout=0.5)
        status = "OK"
        try:
            list(quiet)
        except grpc.RpcError as error:
            status = error.code().name
        check.eq("WatchEvents deadline", status, "DEADLINE_EXCEEDED")
        check.true("WatchEvents deadline in time", time.monotonic() - started < 5)
        doomed.cancel()
        check.eq("WatchEvents cancelled", doomed.code().name if doomed.done() else "not done",
                 "CANCELLED")
        cluster.publish(live)
        got_all = [next(everything).event.id for _ in live]
        # Every new mention once. The order holds per partition (dyad key) only: m-g1 is on
        # another dyad than m-f1 and m-f2, so the applier may read it before or after them;
        # the china stream below checks the order of one dyad's mentions.
        check.eq("WatchEvents every new mention", sorted(got_all), sorted(e["id"] for e in live))
        first = next(china)
        second = next(china)
        check.eq("WatchEvents filter", [first.event.id, second.event.id], ["m-f1", "m-f2"])
        check.eq("WatchEvents nothing dropped", first.dropped + second.dropped, 0)
        check.eq("WatchEvents full record",
                 json_format.MessageToDict(first.event)["articleUrl"], live[0]["articleUrl"])
        # Nothing before the subscription: m-e1 (CHN) was applied earlier and is not replayed.
        check.true("WatchEvents only new mentions", "m-e1" not in got_all)

        # Shutdown ends open streams with UNAVAILABLE, and dyad-query still exits 0.
        result = {}

        def drain():
            try:
                for _ in everything:
                    pass
                result["code"] = "OK"
            except grpc.RpcError as error:
                result["code"] = error.code().name
                result["details"] = error.details()
            result["at"] = time.monotonic()

        reader = threading.Thread(target=drain)
        reader.start()
        started = time.monotonic()
        check.eq("dyad-query exits 0 on SIGTERM", cluster.stop_query(), 0)
        reader.join(30)
        check.eq("WatchEvents at shutdown", result.get("code"), "UNAVAILABLE")
        check.true("shutdown message", "shutting down" in result.get("details", ""),
                   result.get("details"))
        # dyad-query gives unary calls 5 s of grace; streams are ended before that, at once.
        ended = result.get("at", time.monotonic()) - started
        check.true("the stream ended before the grace period", ended < 4, f"{ended:.1f} s")
        channel.close()
    return check.finish("python")


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for leftover in STUB_DIRS:
            shutil.rmtree(leftover, ignore_errors=True)
