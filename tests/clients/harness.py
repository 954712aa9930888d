"""A real dyad-query for client tests written against the .proto files only.

Starts dyad-test-broker (an embedded Kafka broker fed over stdin) and the dyad-query binary on
127.0.0.1:0, publishes events (protobuf JSON lines, see events.jsonl) and stops both at the end.
Python standard library only, so the grpcurl test runs with the system python3.

Environment (set by CTest, see CMakeLists.txt): DYAD_QUERY_BIN, DYAD_TEST_BROKER_BIN,
DYAD_SOURCE_DIR, DYAD_BUILD_DIR.
"""

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77  # CTest's SKIP_RETURN_CODE for these tests

HERE = os.path.dirname(os.path.abspath(__file__))


def skip(message):
    print(f"SKIPPED: {message}", flush=True)
    sys.exit(SKIP)


def env_path(name):
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"{name} is not set; run this test through ctest (tests/clients/CMakeLists.txt)")
    return value


def source_dir():
    return os.environ.get("DYAD_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))


def build_dir():
    return env_path("DYAD_BUILD_DIR")


def proto_dir():
    return os.path.join(source_dir(), "proto")


def load_events(name):
    """The events of tests/clients/<name> as dicts (protobuf JSON), comments skipped."""
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip() and not line.startswith("#")]


class _Lines:
    """Reads a child's stdout line by line with a timeout."""

    def __init__(self, stream, what):
        self.stream = stream
        self.what = what

    def read(self, timeout):
        ready, _, _ = select.select([self.stream], [], [], timeout)
        if not ready:
            raise AssertionError(f"{self.what}: no output line within {timeout} s")
        line = self.stream.readline()
        if not line:
            raise AssertionError(f"{self.what}: ended its output (exited?)")
        return line.rstrip("\n")


class Cluster:
    """dyad-test-broker + dyad-query. Use as a context manager."""

    def __init__(self, query_args=()):
        self.query_args = list(query_args)
        self.broker = None
        self.query = None
        self.address = None
        self.state_dir = tempfile.mkdtemp(prefix="dyad-clients-")

    def __enter__(self):
        self.broker = subprocess.Popen(
            [env_path("DYAD_TEST_BROKER_BIN")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._broker_out = _Lines(self.broker.stdout, "dyad-test-broker")
        first = self._broker_out.read(60)
        assert first.startswith("brokers "), first
        brokers = first.split(" ", 1)[1]
        self.query = subprocess.Popen(
            [
                env_path("DYAD_QUERY_BIN"),
                "--brokers=" + brokers,
                "--listen=127.0.0.1:0",
                "--partitions=3",
                "--log-level=warn",
                "--state-dir=" + os.path.join(self.state_dir, "state"),
            ]
            + self.query_args,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        line = _Lines(self.query.stdout, "dyad-query").read(90)
        prefix = "dyad-query listening on "
        assert line.startswith(prefix), line
        self.address = line[len(prefix):]
        return self

    def publish(self, events):
        """Produces `events` (dicts) to dyad.events.v1; returns once the broker has them."""
        for event in events:
            self.broker.stdin.write(json.dumps(event) + "\n")
            self.broker.stdin.flush()
            answer = self._broker_out.read(30)
            assert answer == "ok " + event["id"], answer

    def stop_query(self):
        """SIGTERM, as an orchestrator would; the exit code."""
        if self.query is None or self.query.poll() is not None:
            return self.query.returncode if self.query else None
        self.query.send_signal(signal.SIGTERM)
        try:
            return self.query.wait(30)
        except subprocess.TimeoutExpired:
            self.query.kill()
            return self.query.wait()

    def __exit__(self, *exc):
        self.stop_query()
        if self.broker is not None:
            self.broker.stdin.close()
            try:
                self.broker.wait(30)
            except subprocess.TimeoutExpired:
                self.broker.kill()
        subprocess.run(["rm", "-rf", self.state_dir], check=False)
        return False


def wait_for(what, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


class Checks:
    """Counts assertions and prints 'N passed, N failed' at the end (for CI's log reader)."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def eq(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}: got {got!r}, want {want!r}", flush=True)

    def true(self, what, cond, detail=""):
        self.eq(what + (f" ({detail})" if detail else ""), bool(cond), True)

    def near(self, what, got, want, eps=1e-6):
        self.true(what, got is not None and abs(got - want) <= eps, f"got {got!r}, want {want!r}")

    def finish(self, name):
        print(f"{name}: {self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0
