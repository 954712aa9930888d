#!/usr/bin/env python3
"""Every check group of deploy_test.py can fail: each mutation below breaks one thing in a copy of
the files deploy_test.py reads, and deploy_test.py must then fail in the named group.

The unmutated copy must pass first (otherwise a failure would prove nothing). A mutation whose
text is no longer in its file fails this test too: update the list when the files change.
Usage: mutation_test.py [--root REPO]
"""

import argparse
import glob
import os
import contextlib
import io
import json
import shutil
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import deploy_test  # noqa: E402

# What deploy_test.py reads besides deploy/.
SOURCES = [
    "CMakeLists.txt",
    "scripts/dev.sh",
    "tests/kafka/pom.xml",
    "libs/kafka/include/dyad/kafka/topics.h",
    "libs/*/src/*.cc",
    "services/cli/main.cc",
    "services/cli/src/*.cc",
    "services/*/main.cc",
    "services/*/CMakeLists.txt",
]

# (group that must fail, file, text, replacement)
MUTATIONS = [
    ("parse", "deploy/compose/compose.yaml", "volumes:\n  kafka-data:", "volumes: [\n  kafka-data:"),
    ("parse", "deploy/grafana/dyad-dashboard.json", '"schemaVersion"', 'schemaVersion'),
    ("parse", "deploy/README.md", "# deploy:", None),  # file removed
    ("k8s objects", "deploy/k8s/ingest.yaml", "apiVersion: autoscaling/v2", "apiVersion: autoscaling/v1"),
    ("k8s objects", "deploy/k8s/kustomization.yaml", "  - query.yaml\n", ""),
    ("k8s objects", "deploy/k8s/configmap.yaml", 'DYAD_PARTITIONS: "12"', "DYAD_PARTITIONS: 12"),
    ("k8s objects", "deploy/k8s/extractor.yaml", "  maxUnavailable: 1\n", "  maxUnavailable: 1\n  minAvailable: 1\n"),
    ("k8s objects", "deploy/k8s/ingest.yaml", "  selector:\n    matchLabels:\n      app.kubernetes.io/name: dyad-ingest\n  template:",
     "  selector:\n    matchLabels:\n      app.kubernetes.io/name: dyad-ingest-x\n  template:"),
    ("k8s objects", "deploy/k8s/query.yaml", "  namespace: dyad\n", "  namespace: default\n"),
    ("k8s workloads", "deploy/k8s/query.yaml", "            grpc:\n              port: 50052\n            periodSeconds: 5\n            failureThreshold: 2",
     "            grpc:\n              port: 50052\n              service: dyad.v1.RelationsService\n            periodSeconds: 5\n            failureThreshold: 2"),
    ("k8s workloads", "deploy/k8s/ingest.yaml", "          livenessProbe:\n            grpc:\n              port: 50051",
     "          livenessProbe:\n            grpc:\n              port: 50053"),
    ("k8s workloads", "deploy/k8s/ingest.yaml", "          readinessProbe:\n            grpc:\n              port: 50051",
     "          readinessProbe:\n            tcpSocket:\n              port: 50051"),
    ("k8s workloads", "deploy/k8s/extractor.yaml", "        runAsNonRoot: true\n", ""),
    ("k8s workloads", "deploy/k8s/query.yaml", "            requests:\n              cpu: 500m\n              memory: 1Gi\n", ""),
    ("k8s workloads", "deploy/k8s/extractor.yaml", "--transactional-id=$(POD_NAME)", "--transactional-id=dyad-extractor"),
    ("k8s workloads", "deploy/k8s/query.yaml", "            - name: state\n              mountPath: /var/lib/dyad/query-state",
     "            - name: state\n              mountPath: /var/lib/dyad/other"),
    ("k8s workloads", "deploy/k8s/ingest.yaml", "--metrics-listen=0.0.0.0:9464", "--metrics-listen=127.0.0.1:9464"),
    ("k8s workloads", "deploy/k8s/extractor.yaml", "              path: /metrics\n              port: 9464\n            periodSeconds: 10\n          livenessProbe",
     "              path: /healthz\n              port: 9464\n            periodSeconds: 10\n          livenessProbe"),
    ("k8s workloads", "deploy/k8s/query.yaml", 'prometheus.io/port: "9464"', 'prometheus.io/port: "9465"'),
    ("HPA and PDB per stage", "deploy/k8s/extractor.yaml", "  maxReplicas: 12", "  maxReplicas: 24"),
    ("HPA and PDB per stage", "deploy/k8s/ingest.yaml", "  selector:\n    matchLabels:\n      app.kubernetes.io/name: dyad-ingest\n  template:",
     "  replicas: 3\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: dyad-ingest\n  template:"),
    ("HPA and PDB per stage", "deploy/k8s/query.yaml", "  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: dyad-query",
     "  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/part-of: dyad"),
    ("HPA and PDB per stage", "deploy/k8s/query.yaml", "    kind: StatefulSet\n    name: dyad-query", "    kind: StatefulSet\n    name: dyad-queries"),
    ("HPA and PDB per stage", "deploy/k8s/extractor.yaml", "    kind: StatefulSet\n    name: dyad-extractor", "    kind: Deployment\n    name: dyad-extractor"),
    ("k8s services", "deploy/k8s/query.yaml", "      port: 50052\n      targetPort: grpc\n      appProtocol: grpc\n    - name: metrics",
     "      port: 50052\n      targetPort: grpc-x\n      appProtocol: grpc\n    - name: metrics"),
    ("k8s services", "deploy/k8s/ingest.yaml", "  selector:\n    app.kubernetes.io/name: dyad-ingest\n  ports:",
     "  selector:\n    app.kubernetes.io/part-of: dyad\n  ports:"),
    ("k8s services", "deploy/k8s/ingest.yaml", "      port: 9464\n      targetPort: metrics", "      port: 9465\n      targetPort: metrics"),
    ("compose", "deploy/compose/compose.yaml", "  extractor:\n    <<: *dyad-image\n", "  extractor:\n    <<: *dyad-image\n    hostname: extractor\n"),
    ("compose", "deploy/compose/compose.yaml", "      - --group=dyad-extractor\n", "      - --group=dyad-extractor\n      - --transactional-id=x\n"),
    ("compose", "deploy/compose/compose.yaml", "image: apache/kafka:4.4.0", "image: apache/kafka:3.9.0"),
    ("compose", "deploy/compose/compose.yaml", "      - dyad-ingest\n      - --brokers=kafka:9092", "      - dyad-ingest\n      - --brokers=kafka:9094"),
    ("compose", "deploy/compose/compose.yaml", "KAFKA_PROCESS_ROLES: broker,controller", "KAFKA_PROCESS_ROLES: broker"),
    ("compose", "deploy/compose/compose.yaml", '"--server", "127.0.0.1:50052"', '"--server", "127.0.0.1:50053"'),
    ("compose", "deploy/compose/compose.yaml", '"dyad", "actors"', '"dyad", "ping"'),
    ("compose", "deploy/compose/compose.yaml", "  image: dyad:0.1.0", "  image: dyad:latest"),
    ("compose", "deploy/compose/compose.yaml", "        condition: service_healthy\n    # No gRPC server", "        condition: service_started\n    # No gRPC server"),
    ("compose", "deploy/compose/compose.yaml", "      - --state-dir=/var/lib/dyad/query-state", "      - --state-dir=/tmp/state"),
    ("compose", "deploy/compose/compose.yaml", "  prometheus:\n    profiles: [observability]", "  prometheus:\n    profiles: [other]"),
    ("images", "deploy/k8s/query.yaml", "image: dyad:0.1.0", "image: dyad:latest"),
    ("images", "CMakeLists.txt", "project(dyad VERSION 0.1.0", "project(dyad VERSION 0.2.0"),
    ("ports", "deploy/k8s/query.yaml", "--listen=0.0.0.0:50052", "--listen=0.0.0.0:50060"),
    ("ports", "deploy/docker/Dockerfile", "EXPOSE 50051 50052 9464", "EXPOSE 50051 50052"),
    ("ports", "deploy/prometheus/prometheus.yml", "      - names: [extractor]\n        type: A\n        port: 9464",
     "      - names: [extractor]\n        type: A\n        port: 9465"),
    ("ports", "deploy/prometheus/prometheus.yml", "names: [query]", "names: [dyad-query]"),
    ("ports", "deploy/prometheus/prometheus.yml", "        action: keep\n        regex: \"true\"", "        action: keep\n        regex: \".*\""),
    ("flags and env exist", "services/query/main.cc", '"--state-dir"', '"--state-directory"'),
    ("flags and env exist", "services/extractor/main.cc", '"--max-batch"', '"--batch-size"'),
    ("flags and env exist", "deploy/k8s/configmap.yaml", "  DYAD_LOG_LEVEL: info\n", "  DYAD_LOG_LEVEL: info\n  DYAD_NO_SUCH_SETTING: x\n"),
    ("flags and env exist", "deploy/compose/compose.yaml", "      <<: *dyad-env\n      DYAD_ARTICLES_TOPIC: dyad.articles.v1\n    ports:",
     "      <<: *dyad-env\n      DYAD_ARTICLES_TOPIC: dyad.articles.v1\n      DYAD_EVENTS_TOPIC: dyad.events.v1\n    ports:"),
    ("flags and env exist", "deploy/k8s/configmap.yaml", "DYAD_EVENTS_TOPIC: dyad.events.v1", "DYAD_EVENTS_TOPIC: dyad.events.v2"),
    ("Dockerfile", "deploy/docker/Dockerfile", "USER 10001:10001", "USER root"),
    ("Dockerfile", "deploy/docker/Dockerfile", "FROM debian:12-slim AS runtime", "# one stage"),
    ("Dockerfile", "deploy/docker/Dockerfile", "/src/build/release/services/query/dyad-query /usr/local/bin/dyad-query",
     "/src/build/release/services/cli/dyad-query /usr/local/bin/dyad-query"),
    ("Dockerfile", "scripts/dev.sh", "BUILD_PACKAGES=(build-essential", "BUILD_PACKAGES=(libnew-thing-dev build-essential"),
    ("Dockerfile", "deploy/docker/Dockerfile", "cmake --preset release -DDYAD_BUILD_TESTS=OFF", "cmake --preset release"),
    ("Dockerfile", "deploy/docker/Dockerfile", "      librocksdb7.8 \\\n", "      librocksdb-dev \\\n"),
    ("Dockerfile", "deploy/docker/Dockerfile", 'CMD ["dyad", "--help"]', 'ENTRYPOINT ["/bin/sh", "-c"]\nCMD ["dyad", "--help"]'),
    ("Dockerfile", "deploy/docker/Dockerfile", "COPY --from=build /src/data /usr/local/share/dyad/data", "COPY --from=build /src/data /opt/data"),
    ("Dockerfile", "deploy/docker/Dockerfile", "ENV DYAD_DATA_DIR=/usr/local/share/dyad/data", "ENV DYAD_DATA=/usr/local/share/dyad/data"),
    ("grafana dashboard", "deploy/grafana/dyad-dashboard.json", '"expr": "dyad_query_state_bytes', '"expr": "dyad_query_state_size_bytes'),
    ("grafana dashboard", "deploy/grafana/dyad-dashboard.json", '"expr": "process_resident_memory_bytes{service=~\\"$service\\"}"',
     '"expr": "up{service=~\\"$service\\"}"'),
    ("grafana dashboard", "deploy/grafana/dyad-dashboard.json", '"schemaVersion": 39', '"schemaVersion": "39"'),
    ("grafana dashboard", "deploy/grafana/dyad-dashboard.json", 'rate(dyad_rpc_seconds_bucket{', 'rate(dyad_rpc_latency_bucket{'),
    # One per check that the ones above do not reach (mutation_test prints any left).
    ("k8s objects", "deploy/k8s/configmap.yaml", "apiVersion: v1\nkind: ConfigMap", "kind: ConfigMap"),
    ("k8s objects", "deploy/k8s/ingest.yaml", "  name: dyad-ingest-headless", "  name: dyad-ingest"),
    ("k8s objects", "deploy/k8s/extractor.yaml", "      containers:\n", "      containers: []\n      x-containers:\n"),
    ("k8s objects", "deploy/k8s/ingest.yaml", "        - name: dyad-ingest\n          image:", "        - name: \"\"\n          image:"),
    ("k8s objects", "deploy/k8s/extractor.yaml", "  serviceName: dyad-extractor\n", ""),
    ("k8s objects", "deploy/k8s/query.yaml", "  clusterIP: None\n  selector:\n    app.kubernetes.io/name: dyad-query\n", "  clusterIP: None\n"),
    ("k8s objects", "deploy/k8s/extractor.yaml", "  ports:\n    - name: metrics\n      port: 9464\n      targetPort: metrics\n---",
     "  ports: []\n---"),
    ("k8s objects", "deploy/k8s/ingest.yaml", "    - name: metrics\n      port: 9464\n      targetPort: metrics",
     "    - name: metrics\n      port: \"9464\"\n      targetPort: metrics"),
    ("k8s objects", "deploy/k8s/query.yaml", "    kind: StatefulSet\n    name: dyad-query\n  minReplicas", "    name: dyad-query\n  minReplicas"),
    ("k8s objects", "deploy/k8s/ingest.yaml", "  minReplicas: 2\n  maxReplicas: 10", "  minReplicas: 12\n  maxReplicas: 10"),
    ("k8s objects", "deploy/k8s/query.yaml", "        name: cpu\n", "        name: memory\n"),
    ("k8s objects", "deploy/k8s/ingest.yaml", "  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: dyad-ingest",
     "  minAvailable: 1\n  selector:\n    matchExpressions: []"),
    ("k8s objects", "deploy/k8s/kustomization.yaml", "namespace: dyad\nresources", "namespace: default\nresources"),
    ("k8s workloads", "deploy/k8s/ingest.yaml", "kind: Deployment\nmetadata:\n  name: dyad-ingest\n", "kind: Deployment\nmetadata:\n  name: dyad-ingester\n"),
    ("k8s workloads", "deploy/k8s/extractor.yaml", "            limits:\n              cpu: \"2\"\n              memory: 1Gi", "            limits:\n              cpu: \"2\""),
    ("k8s workloads", "deploy/k8s/ingest.yaml", "        runAsUser: 10001", "        runAsUser: 0"),
    ("k8s workloads", "deploy/k8s/query.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"),
    ("k8s workloads", "deploy/k8s/ingest.yaml", 'drop: ["ALL"]', 'drop: ["NET_RAW"]'),
    ("k8s workloads", "deploy/k8s/extractor.yaml", 'command: ["dyad-extractor"]', 'command: ["dyad-query"]'),
    ("k8s workloads", "deploy/k8s/query.yaml", "            - name: metrics\n              containerPort: 9464", "            - name: metrics\n              containerPort: 9465"),
    ("k8s workloads", "deploy/k8s/extractor.yaml", "          readinessProbe:\n            httpGet:\n              path: /metrics\n              port: 9464\n            periodSeconds: 10\n", ""),
    ("k8s workloads", "deploy/k8s/ingest.yaml", "--listen=0.0.0.0:50051", "--listen=127.0.0.1:50051"),
    ("k8s workloads", "deploy/k8s/extractor.yaml", "kind: StatefulSet\nmetadata:\n  name: dyad-extractor", "kind: Deployment\nmetadata:\n  name: dyad-extractor"),
    ("k8s workloads", "deploy/k8s/extractor.yaml", "fieldPath: metadata.name", "fieldPath: metadata.uid"),
    ("k8s workloads", "deploy/k8s/query.yaml", "kind: StatefulSet\nmetadata:\n  name: dyad-query", "kind: Deployment\nmetadata:\n  name: dyad-query"),
    ("k8s workloads", "deploy/k8s/query.yaml", "  clusterIP: None\n  selector:\n    app.kubernetes.io/name: dyad-query", "  selector:\n    app.kubernetes.io/name: dyad-query"),
    ("k8s services", "deploy/k8s/query.yaml", "      appProtocol: grpc\n    - name: metrics\n      port: 9464\n      targetPort: metrics\n---",
     "      appProtocol: grpc\n---"),
    ("compose", "deploy/compose/compose.yaml", "      - --group=dyad-extractor\n", "      - --group=dyad-$HOSTNAME\n"),
    ("compose", "deploy/compose/compose.yaml", "  extractor:\n    <<: *dyad-image\n", "  extractor:\n    <<: *dyad-image\n    ports:\n      - \"9464\"\n"),
    ("compose", "deploy/compose/compose.yaml", '"--limit", "1"', '"--max", "1"'),
    ("compose", "deploy/compose/compose.yaml", "../prometheus/prometheus.yml:/etc", "../prometheus/prom.yml:/etc"),
    ("compose", "deploy/compose/compose.yaml", "../grafana/provisioning:", "../grafana/provision:"),
    ("ports", "services/ingest/main.cc", 'std::string listen = "127.0.0.1:50051"', 'std::string listen = "127.0.0.1:50061"'),
    ("ports", "deploy/prometheus/prometheus.yml", "      - role: pod", "      - role: endpoints"),
    ("ports", "deploy/prometheus/prometheus.yml", "        target_label: __address__", "        target_label: __address"),
    ("flags and env exist", "deploy/k8s/ingest.yaml", "                name: dyad-config", "                name: dyad-conf"),
    ("flags and env exist", "services/extractor/main.cc", '->envname("DYAD_BROKERS")', '->envname("DYAD_KAFKA_BROKERS")'),
    ("Dockerfile", "services/query/CMakeLists.txt", "add_executable(dyad-query ", "add_executable(dyad-query-server "),
    ("Dockerfile", "deploy/docker/Dockerfile", 'CMD ["dyad", "--help"]', 'CMD ["dyad-query"]'),
    ("Dockerfile", "deploy/docker/Dockerfile.dockerignore", "\nbuild/\n", "\n"),
    ("grafana dashboard", "deploy/grafana/dyad-dashboard.json", '"id": 2,', '"id": 1,'),
    ("grafana dashboard", "deploy/grafana/dyad-dashboard.json", '"w": 12,', '"w": "12",'),
    ("grafana dashboard", "deploy/grafana/dyad-dashboard.json", '"refId": "A"', '"refId": ""'),
    ("grafana dashboard", "deploy/grafana/dyad-dashboard.json", '=~\\"$service\\"', '=~\\"$svc\\"'),
]


def metrics_flag_in_one_service_only(root):
    """dyad-ingest declares --metrics-listen, dyad-query does not: the flag is no longer pending
    (see deploy_test.PENDING_FLAGS), so dyad-query's use of it must fail. Works before and after
    the metrics work lands."""
    ingest = os.path.join(root, "services", "ingest", "main.cc")
    query = os.path.join(root, "services", "query", "main.cc")
    text = open(ingest, encoding="utf-8").read()
    if '"--metrics-listen' not in text:
        text = text.replace('  app.add_option("--log-level"',
                            '  app.add_option("--metrics-listen", metrics, "x");\n  app.add_option("--log-level"', 1)
    with open(ingest, "w", encoding="utf-8") as f:
        f.write(text)
    text = open(query, encoding="utf-8").read()
    with open(query, "w", encoding="utf-8") as f:
        f.write(text.replace('"--metrics-listen', '"--metrics-address'))


def data_dir_read_nowhere(root):
    """No library reads $DYAD_DATA_DIR any more: the image's ENV would be ignored."""
    for path in glob.glob(os.path.join(root, "libs", "*", "src", "*.cc")):
        text = open(path, encoding="utf-8").read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace('getenv("DYAD_DATA_DIR")', 'getenv("DYAD_DATA")'))


def yaml_file_of_comments_only(root):
    with open(os.path.join(root, "deploy", "grafana", "provisioning", "dashboards", "dyad.yaml"), "w",
              encoding="utf-8") as f:
        f.write("# nothing here\n")


def dashboard_not_an_object(root):
    with open(os.path.join(root, "deploy", "grafana", "dyad-dashboard.json"), "w", encoding="utf-8") as f:
        f.write("[]\n")


def panel_without_targets(root):
    path = os.path.join(root, "deploy", "grafana", "dyad-dashboard.json")
    dash = json.load(open(path, encoding="utf-8"))
    next(p for p in dash["panels"] if p.get("type") != "row")["targets"] = []
    with open(path, "w", encoding="utf-8") as f:
        json.dump(dash, f)


def no_namespace(root):
    os.remove(os.path.join(root, "deploy", "k8s", "namespace.yaml"))
    path = os.path.join(root, "deploy", "k8s", "kustomization.yaml")
    text = open(path, encoding="utf-8").read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("  - namespace.yaml\n", ""))


FUNCTION_MUTATIONS = [
    ("parse", dashboard_not_an_object),
    ("parse", yaml_file_of_comments_only),
    ("grafana dashboard", panel_without_targets),
    ("k8s objects", no_namespace),
    ("flags and env exist", metrics_flag_in_one_service_only),
    ("Dockerfile", data_dir_read_nowhere),
]


def copy_tree(root, dest):
    for rel in ["deploy/**/*"] + SOURCES:
        for src in glob.glob(os.path.join(root, rel), recursive=True):
            if os.path.isfile(src):
                out = os.path.join(dest, os.path.relpath(src, root))
                os.makedirs(os.path.dirname(out), exist_ok=True)
                shutil.copy2(src, out)


FAILED_LINES = set()


def run_deploy_test(root):
    """deploy_test.main in this process (fast); a crash counts as not caught."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = deploy_test.main(["--root", root])
        FAILED_LINES.update(deploy_test.LAST_CHECKER.failed_lines)
    except Exception:  # noqa: BLE001 - a crash is reported, not a catch
        out.write("Traceback\n" + traceback.format_exc())
        code = 2
    return code, out.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=os.environ.get(
        "DYAD_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..", ".."))))
    args = parser.parse_args()
    groups = sorted({m[0] for m in MUTATIONS})
    with tempfile.TemporaryDirectory(prefix="dyad-deploy-mutations-") as tmp:
        pristine = os.path.join(tmp, "pristine")
        copy_tree(args.root, pristine)
        code, out = run_deploy_test(pristine)
        if code != 0:
            print(out)
            print("mutation_test: deploy_test.py fails on the unmutated files; fix that first")
            return 1
        passed = failed = 0
        for i, (group, rel, old, new) in enumerate(MUTATIONS, 1):
            work = pristine
            path = os.path.join(work, rel)
            text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
            if old not in text:
                print(f"FAIL mutation {i} ({group}): {rel} no longer contains {old!r}: update MUTATIONS")
                failed += 1
                continue
            if new is None:
                os.remove(path)
            else:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text.replace(old, new, 1))
            code, out = run_deploy_test(work)
            caught = code != 0 and f"FAIL {group}:" in out and "Traceback" not in out
            label = f"{rel}: {old.strip()[:50]!r} -> {('(removed)' if new is None else new.strip()[:50])!r}"
            if caught:
                passed += 1
                print(f"ok   mutation {i} ({group}) caught: {label}")
            else:
                failed += 1
                print(f"FAIL mutation {i} ({group}) not caught (exit {code}): {label}")
                print("    " + out.replace("\n", "\n    "))
            with open(path, "w", encoding="utf-8") as f:  # restore for the next mutation
                f.write(text)
        for group, mutate in FUNCTION_MUTATIONS:
            work = os.path.join(tmp, mutate.__name__)
            shutil.copytree(pristine, work)
            mutate(work)
            code, out = run_deploy_test(work)
            caught = code != 0 and f"FAIL {group}:" in out and "Traceback" not in out
            if caught:
                passed += 1
                print(f"ok   mutation {mutate.__name__} ({group}) caught")
            else:
                failed += 1
                print(f"FAIL mutation {mutate.__name__} ({group}) not caught (exit {code})")
                print("    " + out.replace("\n", "\n    "))
            shutil.rmtree(work)
        print(f"groups mutated: {len(groups)} ({', '.join(groups)})")
        # Every check of deploy_test.py must have failed under some mutation: a check that
        # nothing here can make fail proves nothing. A check spans the lines of its call (the
        # line a failure reports is the call's first on current Pythons, its last on old ones).
        source = open(deploy_test.__file__, encoding="utf-8").read().splitlines()
        unreached, n_sites = [], 0
        for i, line in enumerate(source, 1):
            if "c.check(" not in line or line.lstrip().startswith("#"):
                continue
            n_sites += 1
            depth, end = 0, i
            for j in range(i, len(source) + 1):
                depth += source[j - 1].count("(") - source[j - 1].count(")")
                end = j
                if depth <= 0:
                    break
            if not any(k in FAILED_LINES for k in range(i, end + 1)):
                unreached.append(i)
        print(f"checks made to fail: {n_sites - len(unreached)} of {n_sites} in deploy_test.py")
        for i in unreached:
            failed += 1
            print(f"FAIL never failed: deploy_test.py:{i}: {source[i - 1].strip()[:100]} "
                  "(add a mutation that breaks it)")
        print(f"{passed} passed, {failed} failed")
        return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
