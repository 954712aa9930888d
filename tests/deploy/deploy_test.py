#!/usr/bin/env python3
"""Checks the deployment files in deploy/ against each other and against the code they run.

Nothing here starts a container (there is no Docker engine or Kubernetes cluster in the test
environment): the files are parsed and cross-checked.

  - every YAML/JSON file parses; the Kubernetes objects have their required fields per kind;
  - every workload has resource requests and limits, runs non-root, has probes: grpc.health.v1
    (native `grpc:` probe, no service name: libs/rpc registers only the server-wide one) on the
    port its --listen flag binds for the gRPC services, HTTP on the metrics port for the
    extractor;
  - every stage has one HorizontalPodAutoscaler and one PodDisruptionBudget whose selector picks
    exactly its pods; Services select exactly one workload and their targetPorts exist;
  - the image is one and the same in deploy/k8s and deploy/compose (dyad:<project version>), the
    Kafka image is the version of the test cluster;
  - the ports in flags, containerPorts, Services, probes, Prometheus targets, compose and the
    Dockerfile's EXPOSE agree;
  - every flag and environment variable the files give a binary exists in its main.cc (a renamed
    flag fails here, not in production);
  - the Dockerfile: two stages or more, Debian 12, the build packages of scripts/dev.sh, tests
    off, the four binaries copied, a non-root USER, DYAD_DATA_DIR;
  - the Grafana dashboard uses only the metric names of the metrics contract (and all of them).

Usage: deploy_test.py [--root REPO]. Prints one line per check group; exit 0 when all pass.
tests/deploy/mutation_test.py breaks each group on a copy and checks that it fails.
"""

import argparse
import glob
import json
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - the environment decides
    # CMake may have found another Python than Debian's, which python3-yaml serves: use that one.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("deploy_test: PyYAML is missing: apt-get install python3-yaml (scripts/dev.sh "
          "TEST_PACKAGES installs it)", file=sys.stderr)
    sys.exit(1)

# The metrics contract of issue 6: every name a service exports (histograms as their base name).
CONTRACT_COUNTERS_GAUGES = {
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "dyad_ingest_articles_total",
    "dyad_extractor_articles_total",
    "dyad_extractor_sentences_total",
    "dyad_extractor_events_total",
    "dyad_extractor_transactions_total",
    "dyad_query_mentions_applied_total",
    "dyad_query_records_rejected_total",
    "dyad_query_state_bytes",
    "dyad_query_relation_cache_hits_total",
    "dyad_query_relation_cache_misses_total",
    "dyad_kafka_consumer_lag",
    "dyad_kafka_producer_queue_messages",
    "dyad_kafka_delivery_errors_total",
    "dyad_rpc_requests_total",
}
CONTRACT_HISTOGRAMS = {
    "dyad_ingest_publish_seconds",
    "dyad_extractor_code_seconds",
    "dyad_rpc_seconds",
}
METRICS_PORT = 9464
# Flags of the metrics contract (issue 6) being added to the services while these files were
# written: see "flags and env exist". Remove once every service has them.
PENDING_FLAGS = {"--metrics-listen"}
STAGES = ("ingest", "extractor", "query")
GRPC_STAGES = ("ingest", "query")
BINARIES = {s: "dyad-" + s for s in STAGES}
BINARIES_ALL = ("dyad", "dyad-ingest", "dyad-extractor", "dyad-query")
NAMESPACED_KINDS = {"ConfigMap", "Deployment", "StatefulSet", "Service",
                    "HorizontalPodAutoscaler", "PodDisruptionBudget"}
API_VERSIONS = {
    "Namespace": "v1", "ConfigMap": "v1", "Service": "v1", "Deployment": "apps/v1",
    "StatefulSet": "apps/v1", "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
}

# PromQL words that are not metric names.
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "offset", "bool", "rate", "irate", "increase", "delta", "idelta",
    "deriv", "histogram_quantile", "label_replace", "label_join", "abs", "ceil", "floor",
    "round", "clamp", "clamp_min", "clamp_max", "vector", "scalar", "time", "avg_over_time",
    "max_over_time", "min_over_time", "sum_over_time", "count_over_time", "last_over_time",
    "absent", "sort", "sort_desc", "changes", "resets", "predict_linear", "inf", "nan",
}


LAST_CHECKER = None


class Checker:
    """Collects check results per group; one printed line per group."""

    def __init__(self):
        self.group = None
        self.counts = {}
        self.failures = {}
        self.order = []
        self.failed_lines = set()

    def start(self, group):
        self.group = group
        self.order.append(group)
        self.counts[group] = 0
        self.failures[group] = []

    def check(self, ok, message):
        self.counts[self.group] += 1
        if not ok:
            self.failures[self.group].append(message)
            # Which check failed, for mutation_test.py's list of checks no breakage reaches.
            self.failed_lines.add(sys._getframe(1).f_lineno)
        return ok

    def report(self):
        total = sum(self.counts.values())
        failed = 0
        for group in self.order:
            fails = self.failures[group]
            if fails:
                failed += len(fails)
                print(f"FAIL {group}: {len(fails)} of {self.counts[group]} checks failed")
                for f in fails:
                    print(f"    - {f}")
            else:
                print(f"ok   {group}: {self.counts[group]} checks")
        print(f"{total - failed} passed, {failed} failed")
        return failed == 0


def read(path):
    """The file's text; "" when it is missing (the "parse" group reports missing files)."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def load_yaml_docs(path):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [d for d in yaml.load_all(read(path), Loader=loader) if d is not None]


def strip_cpp_comments(text):
    return re.sub(r"//[^\n]*", "", text)


def cli_names(text):
    """Flag names declared with CLI11's add_option/add_flag in C++ source ("--a,--b,-c")."""
    names = set()
    for spec in re.findall(r'add_(?:option|flag)\(\s*"([^"]+)"', strip_cpp_comments(text)):
        for name in spec.split(","):
            name = name.strip()
            if name.startswith("--"):
                names.add(name)
    return names


def env_names(text):
    return set(re.findall(r'->envname\(\s*"([A-Z0-9_]+)"\s*\)', strip_cpp_comments(text)))


def flag_values(args):
    """['--a=1', '--b', '2', 'x'] -> ({'--a': '1', '--b': '2'}, ['--a', '--b']) ."""
    values, names = {}, []
    i = 0
    while i < len(args):
        a = str(args[i])
        if a.startswith("--"):
            if "=" in a:
                name, value = a.split("=", 1)
            elif i + 1 < len(args) and not str(args[i + 1]).startswith("-"):
                name, value = a, str(args[i + 1])
                i += 1
            else:
                name, value = a, ""
            names.append(name)
            values[name] = value
        i += 1
    return values, names


def port_of(address):
    m = re.fullmatch(r"(.*):(\d+)", address or "")
    return int(m.group(2)) if m else None


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class Repo:
    def __init__(self, root):
        self.root = root
        self.deploy = os.path.join(root, "deploy")

    def path(self, *parts):
        return os.path.join(self.root, *parts)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=os.environ.get(
        "DYAD_SOURCE_DIR", os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))))
    args = parser.parse_args(argv)
    repo = Repo(args.root)
    global LAST_CHECKER
    c = LAST_CHECKER = Checker()

    # ------------------------------------------------------------------ parse
    c.start("parse")
    files = sorted(glob.glob(os.path.join(repo.deploy, "**", "*"), recursive=True))
    files = [f for f in files if os.path.isfile(f)]
    parsed = {}
    for f in files:
        rel = os.path.relpath(f, repo.root)
        try:
            if f.endswith((".yaml", ".yml")):
                parsed[rel] = load_yaml_docs(f)
                c.check(len(parsed[rel]) > 0, f"{rel}: no YAML document")
            elif f.endswith(".json"):
                parsed[rel] = json.loads(read(f))
                c.check(isinstance(parsed[rel], dict), f"{rel}: not a JSON object")
        except (yaml.YAMLError, json.JSONDecodeError) as e:
            c.check(False, f"{rel}: does not parse: {e}")
    for required in ("deploy/docker/Dockerfile", "deploy/compose/compose.yaml",
                     "deploy/k8s/kustomization.yaml", "deploy/prometheus/prometheus.yml",
                     "deploy/grafana/dyad-dashboard.json", "deploy/README.md"):
        c.check(os.path.isfile(repo.path(required)), f"{required} is missing")

    # Sources the files are checked against.
    main_cc = {s: read(repo.path("services", s, "main.cc")) for s in STAGES}
    flags = {BINARIES[s]: cli_names(main_cc[s]) for s in STAGES}
    envs = {BINARIES[s]: env_names(main_cc[s]) for s in STAGES}
    cli_src = "".join(read(p) for p in sorted(glob.glob(repo.path("services", "cli", "src", "*.cc"))))
    flags["dyad"] = cli_names(cli_src) | cli_names(read(repo.path("services", "cli", "main.cc")))
    version = re.search(r"project\(dyad VERSION ([0-9.]+)", read(repo.path("CMakeLists.txt"))).group(1)
    image = f"dyad:{version}"
    topics_h = read(repo.path("libs", "kafka", "include", "dyad", "kafka", "topics.h"))
    topics = dict(re.findall(r'(k\w+Topic)\[\] = "([^"]+)"', topics_h))

    k8s_docs = []
    kust = (parsed.get("deploy/k8s/kustomization.yaml") or [{}])[0]
    for f in sorted(glob.glob(os.path.join(repo.deploy, "k8s", "*.yaml"))):
        rel = os.path.relpath(f, repo.root)
        if rel.endswith("kustomization.yaml"):
            continue
        for d in parsed.get(rel, []):
            if isinstance(d, dict):
                k8s_docs.append((rel, d))
    compose = (parsed.get("deploy/compose/compose.yaml") or [{}])[0]
    prom = (parsed.get("deploy/prometheus/prometheus.yml") or [{}])[0]
    dash = parsed.get("deploy/grafana/dyad-dashboard.json")
    dash = dash if isinstance(dash, dict) else {}

    # ------------------------------------------------------------------ k8s objects
    c.start("k8s objects")
    by_kind = {}
    for rel, d in k8s_docs:
        kind = d.get("kind")
        name = (d.get("metadata") or {}).get("name")
        where = f"{rel}: {kind}/{name}"
        c.check(bool(d.get("apiVersion")) and bool(kind) and bool(name),
                f"{where}: needs apiVersion, kind and metadata.name")
        c.check(API_VERSIONS.get(kind) == d.get("apiVersion"),
                f"{where}: apiVersion {d.get('apiVersion')}, expected {API_VERSIONS.get(kind)}")
        if kind in NAMESPACED_KINDS:
            c.check((d.get("metadata") or {}).get("namespace") == "dyad",
                    f"{where}: metadata.namespace must be dyad")
        by_kind.setdefault(kind, {})
        c.check(name not in by_kind[kind], f"{where}: defined twice")
        by_kind[kind][name] = d
        spec = d.get("spec") or {}
        if kind in ("Deployment", "StatefulSet"):
            sel = (spec.get("selector") or {}).get("matchLabels") or {}
            tlabels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            c.check(labels_match(sel, tlabels), f"{where}: selector.matchLabels must match the pod labels")
            containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
            c.check(len(containers) >= 1, f"{where}: no containers")
            for ct in containers:
                c.check(bool(ct.get("name")) and bool(ct.get("image")), f"{where}: a container needs name and image")
        if kind == "StatefulSet":
            c.check(bool(spec.get("serviceName")), f"{where}: needs spec.serviceName")
        if kind == "Service":
            c.check(bool(spec.get("selector")), f"{where}: needs spec.selector")
            ports = spec.get("ports") or []
            c.check(len(ports) >= 1, f"{where}: needs ports")
            for p in ports:
                c.check(isinstance(p.get("port"), int) and bool(p.get("name")),
                        f"{where}: every port needs a name and a numeric port")
        if kind == "HorizontalPodAutoscaler":
            ref = spec.get("scaleTargetRef") or {}
            c.check(bool(ref.get("kind")) and bool(ref.get("name")), f"{where}: needs scaleTargetRef")
            mn, mx = spec.get("minReplicas", 1), spec.get("maxReplicas")
            c.check(isinstance(mx, int) and 1 <= mn <= mx, f"{where}: needs 1 <= minReplicas <= maxReplicas")
            cpu = [m for m in spec.get("metrics") or []
                   if m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu"
                   and ((m.get("resource") or {}).get("target") or {}).get("type") == "Utilization"]
            c.check(len(cpu) == 1, f"{where}: needs one CPU utilisation metric")
        if kind == "PodDisruptionBudget":
            c.check(((spec.get("selector") or {}).get("matchLabels")) is not None, f"{where}: needs selector.matchLabels")
            c.check(("minAvailable" in spec) != ("maxUnavailable" in spec),
                    f"{where}: needs exactly one of minAvailable, maxUnavailable")
        if kind == "ConfigMap":
            data = d.get("data") or {}
            c.check(all(isinstance(v, str) for v in data.values()),
                    f"{where}: ConfigMap values must be strings (quote numbers)")
    for kind in ("Namespace", "ConfigMap"):
        c.check(bool(by_kind.get(kind)), f"deploy/k8s has no {kind}")
    listed = set(kust.get("resources") or [])
    present = {os.path.basename(f) for f in glob.glob(os.path.join(repo.deploy, "k8s", "*.yaml"))
               if not f.endswith("kustomization.yaml")}
    c.check(listed == present, f"kustomization.yaml resources {sorted(listed)} != files {sorted(present)}")
    c.check(kust.get("namespace") == "dyad", "kustomization.yaml: namespace must be dyad")

    workloads = {}
    for kind in ("Deployment", "StatefulSet"):
        for name, d in (by_kind.get(kind) or {}).items():
            workloads[name] = d
    config = {}
    for d in (by_kind.get("ConfigMap") or {}).values():
        config.update(d.get("data") or {})

    def pod(stage):
        d = workloads.get(BINARIES[stage]) or {}
        return ((d.get("spec") or {}).get("template") or {})

    def container(stage):
        cts = (pod(stage).get("spec") or {}).get("containers") or [{}]
        return cts[0]

    def k8s_flags(stage):
        ct = container(stage)
        argv = list(ct.get("command") or []) + list(ct.get("args") or [])
        return flag_values(argv)[0]

    def compose_service(stage):
        return ((compose.get("services") or {}).get(stage)) or {}

    def compose_flags(stage):
        cmd = compose_service(stage).get("command") or []
        return flag_values(cmd if isinstance(cmd, list) else cmd.split())[0]

    # ------------------------------------------------------------------ workloads
    c.start("k8s workloads")
    c.check(set(workloads) == {BINARIES[s] for s in STAGES},
            f"workloads {sorted(workloads)}: expected one per stage {sorted(BINARIES.values())}")
    for stage in STAGES:
        name = BINARIES[stage]
        d = workloads.get(name) or {}
        ct = container(stage)
        podspec = pod(stage).get("spec") or {}
        res = ct.get("resources") or {}
        c.check(all(k in (res.get("requests") or {}) for k in ("cpu", "memory")),
                f"{name}: resources.requests needs cpu and memory")
        c.check(all(k in (res.get("limits") or {}) for k in ("memory",)),
                f"{name}: resources.limits needs memory")
        psc = podspec.get("securityContext") or {}
        csc = ct.get("securityContext") or {}
        c.check(psc.get("runAsNonRoot") is True or csc.get("runAsNonRoot") is True,
                f"{name}: needs securityContext.runAsNonRoot: true")
        uid = csc.get("runAsUser", psc.get("runAsUser"))
        c.check(isinstance(uid, int) and uid != 0, f"{name}: needs a non-zero runAsUser")
        c.check(csc.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation must be false")
        c.check("ALL" in ((csc.get("capabilities") or {}).get("drop") or []), f"{name}: must drop ALL capabilities")
        c.check(ct.get("command") == [name], f"{name}: command must be [{name}], is {ct.get('command')}")
        kf = k8s_flags(stage)
        c.check(port_of(kf.get("--metrics-listen")) == METRICS_PORT and
                kf.get("--metrics-listen", "").startswith("0.0.0.0:"),
                f"{name}: needs --metrics-listen=0.0.0.0:{METRICS_PORT}")
        ports = {p.get("name"): p.get("containerPort") for p in ct.get("ports") or []}
        c.check(ports.get("metrics") == METRICS_PORT, f"{name}: containerPort metrics must be {METRICS_PORT}")
        ann = (pod(stage).get("metadata") or {}).get("annotations") or {}
        c.check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(METRICS_PORT)
                and ann.get("prometheus.io/path", "/metrics") == "/metrics",
                f"{name}: needs prometheus.io/scrape, port {METRICS_PORT}, path /metrics annotations")
        for probe_name in ("readinessProbe", "livenessProbe"):
            c.check(isinstance(ct.get(probe_name), dict), f"{name}: needs a {probe_name}")
        probes = {k: ct.get(k) for k in ("startupProbe", "readinessProbe", "livenessProbe") if ct.get(k)}
        for probe_name, probe in probes.items():
            if stage in GRPC_STAGES:
                listen_port = port_of(kf.get("--listen"))
                grpc = probe.get("grpc")
                c.check(isinstance(grpc, dict), f"{name}: {probe_name} must be a grpc probe (grpc.health.v1)")
                grpc = grpc or {}
                c.check(grpc.get("port") == listen_port and ports.get("grpc") == listen_port,
                        f"{name}: {probe_name} port {grpc.get('port')}, containerPort grpc "
                        f"{ports.get('grpc')} and --listen port {listen_port} must agree")
                # libs/rpc enables gRPC's default health service, which knows only "" (the
                # whole server): a named service would answer NOT_FOUND and fail the probe.
                c.check(grpc.get("service", "") == "",
                        f"{name}: {probe_name} must not name a service (only \"\" is registered)")
                c.check(port_of(kf.get("--listen")) is not None and kf.get("--listen", "").startswith("0.0.0.0:"),
                        f"{name}: --listen must bind 0.0.0.0 in a pod")
            else:
                http = probe.get("httpGet") or {}
                c.check(http.get("path") == "/metrics" and http.get("port") in (METRICS_PORT, "metrics"),
                        f"{name}: {probe_name} must GET /metrics on {METRICS_PORT} (no gRPC server)")

    ex = workloads.get("dyad-extractor") or {}
    exf = k8s_flags("extractor")
    c.check(ex.get("kind") == "StatefulSet", "dyad-extractor must be a StatefulSet (stable transactional id)")
    c.check(exf.get("--transactional-id") == "$(POD_NAME)", "dyad-extractor: --transactional-id must be $(POD_NAME)")
    pod_name_env = [e for e in container("extractor").get("env") or [] if e.get("name") == "POD_NAME"]
    c.check(bool(pod_name_env) and ((pod_name_env[0].get("valueFrom") or {}).get("fieldRef") or {})
            .get("fieldPath") == "metadata.name", "dyad-extractor: env POD_NAME must come from metadata.name")
    q = workloads.get("dyad-query") or {}
    qf = k8s_flags("query")
    c.check(q.get("kind") == "StatefulSet", "dyad-query must be a StatefulSet (a state volume per replica)")
    claims = [t.get("metadata", {}).get("name") for t in (q.get("spec") or {}).get("volumeClaimTemplates") or []]
    mounts = {m.get("name"): m.get("mountPath") for m in container("query").get("volumeMounts") or []}
    c.check(any(mounts.get(cl) == qf.get("--state-dir") for cl in claims),
            f"dyad-query: --state-dir {qf.get('--state-dir')} must be the mount of a volumeClaimTemplate")
    for name in ("dyad-extractor", "dyad-query"):
        d = workloads.get(name) or {}
        svc = (by_kind.get("Service") or {}).get((d.get("spec") or {}).get("serviceName"))
        c.check(svc is not None and (svc.get("spec") or {}).get("clusterIP") == "None",
                f"{name}: serviceName must name a headless Service")

    # ------------------------------------------------------------------ HPA and PDB per stage
    c.start("HPA and PDB per stage")
    for stage in STAGES:
        name = BINARIES[stage]
        d = workloads.get(name) or {}
        labels = (pod(stage).get("metadata") or {}).get("labels") or {}
        hpas = [h for h in (by_kind.get("HorizontalPodAutoscaler") or {}).values()
                if ((h.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == name]
        c.check(len(hpas) == 1, f"{name}: needs exactly one HPA, has {len(hpas)}")
        c.check("replicas" not in (d.get("spec") or {}),
                f"{name}: no spec.replicas with an HPA (kubectl apply would reset the HPA's count)")
        for h in hpas:
            ref = h["spec"]["scaleTargetRef"]
            c.check(ref.get("kind") == d.get("kind") and ref.get("apiVersion") == "apps/v1",
                    f"{name}: HPA scaleTargetRef kind {ref.get('kind')} != {d.get('kind')}")
        pdbs = [p for p in (by_kind.get("PodDisruptionBudget") or {}).values()
                if labels_match(((p.get("spec") or {}).get("selector") or {}).get("matchLabels"), labels)]
        c.check(len(pdbs) == 1, f"{name}: needs exactly one PodDisruptionBudget selecting its pods, has {len(pdbs)}")
        for other in STAGES:
            if other == stage:
                continue
            olabels = (pod(other).get("metadata") or {}).get("labels") or {}
            for p in pdbs:
                c.check(not labels_match(p["spec"]["selector"]["matchLabels"], olabels),
                        f"{name}: its PDB also selects {BINARIES[other]}'s pods")
    partitions = int(config.get("DYAD_PARTITIONS", "0") or 0)
    ex_hpa = [h for h in (by_kind.get("HorizontalPodAutoscaler") or {}).values()
              if ((h.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == "dyad-extractor"]
    for h in ex_hpa:
        c.check(0 < h["spec"].get("maxReplicas", 0) <= partitions,
                f"dyad-extractor HPA maxReplicas {h['spec'].get('maxReplicas')} must be <= the partition "
                f"count DYAD_PARTITIONS={partitions} (more replicas idle)")

    # ------------------------------------------------------------------ Services
    c.start("k8s services")
    for sname, svc in (by_kind.get("Service") or {}).items():
        sel = (svc.get("spec") or {}).get("selector") or {}
        matched = [s for s in STAGES if labels_match(sel, (pod(s).get("metadata") or {}).get("labels") or {})]
        c.check(len(matched) == 1, f"Service {sname}: selector {sel} matches {len(matched)} workloads, not 1")
        for s in matched:
            cports = container(s).get("ports") or []
            for p in (svc.get("spec") or {}).get("ports") or []:
                tp = p.get("targetPort", p.get("port"))
                hit = [cp for cp in cports if cp.get("name") == tp or cp.get("containerPort") == tp]
                c.check(len(hit) == 1, f"Service {sname}: targetPort {tp} is not a port of {BINARIES[s]}")
                for cp in hit:
                    c.check(p.get("port") == cp.get("containerPort"),
                            f"Service {sname}: port {p.get('port')} differs from containerPort "
                            f"{cp.get('containerPort')} (clients use one number everywhere)")
    for stage in STAGES:
        ports = {p.get("name") for svc in (by_kind.get("Service") or {}).values()
                 if labels_match((svc.get("spec") or {}).get("selector"), (pod(stage).get("metadata") or {}).get("labels") or {})
                 for p in (svc.get("spec") or {}).get("ports") or []}
        want = {"grpc", "metrics"} if stage in GRPC_STAGES else {"metrics"}
        c.check(want <= ports, f"{BINARIES[stage]}: Services expose {sorted(ports)}, need {sorted(want)}")

    # ------------------------------------------------------------------ compose
    c.start("compose")
    services = compose.get("services") or {}
    c.check({"kafka", *STAGES} <= set(services), f"compose services {sorted(services)} need kafka and {STAGES}")
    kafka = services.get("kafka") or {}
    kenv = {k: str(v) for k, v in (kafka.get("environment") or {}).items()}
    roles = set(kenv.get("KAFKA_PROCESS_ROLES", "").split(","))
    c.check(roles == {"broker", "controller"}, "kafka: KAFKA_PROCESS_ROLES must be broker,controller (KRaft)")
    voters = kenv.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "")
    m = re.fullmatch(r"(\d+)@([\w.-]+):(\d+)", voters)
    c.check(bool(m) and m.group(1) == kenv.get("KAFKA_NODE_ID"),
            f"kafka: KAFKA_CONTROLLER_QUORUM_VOTERS {voters!r} must name KAFKA_NODE_ID")
    listeners = dict(re.findall(r"(\w+)://[^:,]*:(\d+)", kenv.get("KAFKA_LISTENERS", "")))
    advertised = dict((n, (h, p)) for n, h, p in re.findall(r"(\w+)://([^:,]+):(\d+)", kenv.get("KAFKA_ADVERTISED_LISTENERS", "")))
    ctrl = kenv.get("KAFKA_CONTROLLER_LISTENER_NAMES", "")
    c.check(bool(m) and listeners.get(ctrl) == m.group(3), f"kafka: the controller listener port must be the voters' port")
    c.check(kenv.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR") == "1"
            and kenv.get("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR") == "1",
            "kafka: one node needs replication factor 1 for the internal topics (transactions)")
    pom = read(repo.path("tests", "kafka", "pom.xml"))
    kver = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom).group(1)
    c.check(kafka.get("image") == f"apache/kafka:{kver}",
            f"kafka: image {kafka.get('image')} must be apache/kafka:{kver} (the tested version, tests/kafka/pom.xml)")
    kafka_healthy = True
    for stage in STAGES:
        svc = services.get(stage) or {}
        cf = compose_flags(stage)
        cmd = svc.get("command") or []
        c.check(bool(cmd) and cmd[0] == BINARIES[stage], f"compose {stage}: command must start with {BINARIES[stage]}")
        c.check(svc.get("image") == image, f"compose {stage}: image {svc.get('image')} must be {image}")
        build = svc.get("build") or {}
        ctx = os.path.normpath(os.path.join(repo.deploy, "compose", build.get("context", ".")))
        c.check(ctx == os.path.normpath(repo.root), f"compose {stage}: build.context must be the repository root")
        c.check(os.path.normpath(os.path.join(ctx, build.get("dockerfile", "Dockerfile"))) ==
                os.path.normpath(repo.path("deploy", "docker", "Dockerfile")),
                f"compose {stage}: build.dockerfile must be deploy/docker/Dockerfile")
        brokers = cf.get("--brokers") or (svc.get("environment") or {}).get("DYAD_BROKERS", "")
        bhost, _, bport = brokers.partition(":")
        c.check(advertised.get("PLAINTEXT") == (bhost, bport) and listeners.get("PLAINTEXT") == bport
                and bhost == "kafka", f"compose {stage}: --brokers {brokers!r} must be kafka's advertised PLAINTEXT listener")
        dep = ((svc.get("depends_on") or {}).get("kafka") or {}) if isinstance(svc.get("depends_on"), dict) else {}
        kafka_healthy &= dep.get("condition") == "service_healthy"
        hc = (svc.get("healthcheck") or {}).get("test")
        c.check(bool(hc), f"compose {stage}: needs a healthcheck")
        hc_text = " ".join(hc) if isinstance(hc, list) else str(hc or "")
        if stage in GRPC_STAGES:
            lp = port_of(cf.get("--listen"))
            c.check(cf.get("--listen", "").startswith("0.0.0.0:"), f"compose {stage}: --listen must bind 0.0.0.0")
            published = [str(p) for p in svc.get("ports") or []]
            c.check(any(p.endswith(f":{lp}:{lp}") or p == f"{lp}:{lp}" for p in published),
                    f"compose {stage}: publish the gRPC port {lp} as {lp}:{lp}, has {published}")
            c.check(str(lp) in hc_text, f"compose {stage}: the healthcheck must check the gRPC port {lp}")
        c.check(port_of(cf.get("--metrics-listen")) == METRICS_PORT
                and cf.get("--metrics-listen", "").startswith("0.0.0.0:"),
                f"compose {stage}: needs --metrics-listen=0.0.0.0:{METRICS_PORT}")
        if stage != "query":
            c.check(f"/{METRICS_PORT}" in hc_text and "/metrics" in hc_text,
                    f"compose {stage}: the healthcheck must GET /metrics on {METRICS_PORT}")
        # Compose interpolates $VAR in the file: a lone $ in a command would be replaced.
        c.check(not re.search(r"(?<!\$)\$(?!\$)", json.dumps(svc)), f"compose {stage}: unescaped $ (compose interpolates it)")
    c.check(kafka_healthy, "compose: every dyad service must depend on kafka with condition service_healthy")
    ext = services.get("extractor") or {}
    ext_env = ext.get("environment") or {}
    c.check("hostname" not in ext and "container_name" not in ext,
            "compose extractor: hostname/container_name would give every replica one transactional id")
    c.check("--transactional-id" not in compose_flags("extractor") and "DYAD_EXTRACTOR_TRANSACTIONAL_ID" not in ext_env,
            "compose extractor: a fixed transactional id makes --scale replicas fence each other")
    c.check(not ext.get("ports"), "compose extractor: published ports prevent --scale")
    qs = services.get("query") or {}
    sd = compose_flags("query").get("--state-dir")
    vols = [str(v) for v in qs.get("volumes") or []]
    c.check(bool(sd) and any(v.split(":")[1:2] == [sd] and v.split(":")[0] in (compose.get("volumes") or {}) for v in vols),
            f"compose query: --state-dir {sd} must be a named volume")
    qhc = (qs.get("healthcheck") or {}).get("test") or []
    if isinstance(qhc, list) and len(qhc) > 2 and qhc[0] == "CMD" and qhc[1] == "dyad":
        qv, qn = flag_values(qhc[3:])
        c.check(qhc[2] == "actors" and re.search(r'add_subcommand\(\s*"actors"', cli_src) is not None,
                "compose query: the healthcheck's dyad subcommand must exist")
        c.check(all(n in flags["dyad"] for n in qn), f"compose query: healthcheck flags {qn} not all in services/cli")
        c.check(port_of(qv.get("--server")) == port_of(compose_flags("query").get("--listen")),
                "compose query: the healthcheck must call the --listen port")
    else:
        c.check(False, "compose query: the healthcheck must call dyad-query with the `dyad` command")
    for prof in ("prometheus", "grafana"):
        c.check("observability" in ((services.get(prof) or {}).get("profiles") or []),
                f"compose {prof}: must be under the observability profile")
    for v in (services.get("prometheus") or {}).get("volumes") or []:
        src = str(v).split(":")[0]
        c.check(os.path.exists(os.path.normpath(os.path.join(repo.deploy, "compose", src))),
                f"compose prometheus: mounted file {src} does not exist")
    for v in (services.get("grafana") or {}).get("volumes") or []:
        src = str(v).split(":")[0]
        c.check(os.path.exists(os.path.normpath(os.path.join(repo.deploy, "compose", src))),
                f"compose grafana: mounted path {src} does not exist")

    # ------------------------------------------------------------------ images
    c.start("images")
    for stage in STAGES:
        ct = container(stage)
        c.check(ct.get("image") == image, f"k8s {BINARIES[stage]}: image {ct.get('image')} must be {image}")
    dockerfile = read(repo.path("deploy", "docker", "Dockerfile"))
    c.check(image in dockerfile, f"Dockerfile: its build command should tag {image}")
    c.check(image in read(repo.path("deploy", "README.md")), f"deploy/README.md should name the image {image}")

    # ------------------------------------------------------------------ ports agree
    c.start("ports")
    expose = {int(p) for line in re.findall(r"^EXPOSE\s+(.+)$", dockerfile, re.M) for p in line.split()}
    for stage in GRPC_STAGES:
        kp = port_of(k8s_flags(stage).get("--listen"))
        cp = port_of(compose_flags(stage).get("--listen"))
        default = re.search(r'(?:std::string listen|options\.listen) = "[^"]*:(\d+)"', main_cc[stage])
        c.check(kp == cp, f"{stage}: gRPC port {kp} in k8s, {cp} in compose")
        c.check(kp in expose, f"{stage}: gRPC port {kp} is not EXPOSEd by the Dockerfile")
        if default:
            c.check(kp == int(default.group(1)), f"{stage}: gRPC port {kp} differs from the binary's default {default.group(1)}")
    c.check(METRICS_PORT in expose, f"Dockerfile must EXPOSE {METRICS_PORT}")
    jobs = {j.get("job_name"): j for j in prom.get("scrape_configs") or []}
    for stage in STAGES:
        job = jobs.get(BINARIES[stage]) or {}
        names = [n for sd in job.get("dns_sd_configs") or [] for n in sd.get("names") or []]
        sd_ports = [sd.get("port") for sd in job.get("dns_sd_configs") or []]
        static = [t for sc in job.get("static_configs") or [] for t in sc.get("targets") or []]
        c.check(names == [stage] or static == [f"{stage}:{METRICS_PORT}"],
                f"prometheus job {BINARIES[stage]}: must target the compose service {stage}")
        c.check(sd_ports == [METRICS_PORT] or static == [f"{stage}:{METRICS_PORT}"],
                f"prometheus job {BINARIES[stage]}: port must be {METRICS_PORT}")
    k8s_jobs = [j for j in jobs.values() if any(sd.get("role") == "pod" for sd in j.get("kubernetes_sd_configs") or [])]
    c.check(len(k8s_jobs) == 1, "prometheus: needs one kubernetes pod-discovery job")
    for j in k8s_jobs:
        keep = [r for r in j.get("relabel_configs") or [] if r.get("action") == "keep"
                and "__meta_kubernetes_pod_annotation_prometheus_io_scrape" in (r.get("source_labels") or [])]
        c.check(len(keep) == 1 and keep[0].get("regex") == "true",
                "prometheus kubernetes job: must keep only pods annotated prometheus.io/scrape: \"true\"")
        port_rule = [r for r in j.get("relabel_configs") or [] if r.get("target_label") == "__address__"
                     and "__meta_kubernetes_pod_annotation_prometheus_io_port" in (r.get("source_labels") or [])]
        c.check(len(port_rule) == 1, "prometheus kubernetes job: must take the port from prometheus.io/port")
    ds = json.dumps((parsed.get("deploy/grafana/provisioning/datasources/prometheus.yaml") or [{}])[0])
    c.check('"http://prometheus:9090"' in ds and "prometheus" in services,
            "grafana datasource must point at the compose prometheus service")

    # ------------------------------------------------------------------ flags and env exist
    c.start("flags and env exist")
    used = []  # (where, binary, flag names, env names)
    for stage in STAGES:
        svc = services.get(stage) or {}
        cmd = svc.get("command") or []
        used.append((f"compose {stage}", cmd[0] if cmd else "?", flag_values(cmd[1:])[1],
                     list((svc.get("environment") or {}).keys())))
        ct = container(stage)
        argv = list(ct.get("command") or []) + list(ct.get("args") or [])
        envs_k8s = [e.get("name") for e in ct.get("env") or [] if e.get("name") != "POD_NAME"]
        for ef in ct.get("envFrom") or []:
            cm = (by_kind.get("ConfigMap") or {}).get((ef.get("configMapRef") or {}).get("name"))
            c.check(cm is not None, f"k8s {BINARIES[stage]}: envFrom names a missing ConfigMap")
        used.append((f"k8s {BINARIES[stage]}", argv[0] if argv else "?", flag_values(argv[1:])[1], envs_k8s))
    # A flag of the metrics contract that no service has yet (the metrics work of issue 6 lands
    # separately) is reported, not failed; as soon as one service declares it, all must.
    pending = {f for f in PENDING_FLAGS if not any(f in flags[BINARIES[s]] for s in STAGES)}
    for f in sorted(pending):
        print(f"PENDING {f}: declared in no services/*/main.cc yet; not checked until it lands")
    for where, binary, names, env_list in used:
        c.check(binary in flags, f"{where}: runs {binary}, not a dyad service")
        for n in names:
            if n in pending:
                continue
            c.check(n in flags.get(binary, set()), f"{where}: {binary} has no flag {n} (services/*/main.cc)")
        for e in env_list:
            c.check(e in envs.get(binary, set()), f"{where}: {binary} reads no environment variable {e}")
    all_envs = set().union(*envs.values())
    for key in config:
        c.check(key in all_envs, f"ConfigMap key {key} is read by no service (envname in services/*/main.cc)")
    c.check(all("DYAD_BROKERS" in envs[b] for b in envs), "every service must read DYAD_BROKERS")
    c.check(config.get("DYAD_ARTICLES_TOPIC") == topics.get("kArticlesTopic")
            and config.get("DYAD_EVENTS_TOPIC") == topics.get("kEventsTopic")
            and config.get("DYAD_ARTICLES_DLQ_TOPIC") == topics.get("kArticlesDlqTopic"),
            "ConfigMap topics must be libs/kafka/topics.h's")
    for stage in STAGES:
        cenv = (services.get(stage) or {}).get("environment") or {}
        for key, value in cenv.items():
            if key in config:
                c.check(str(value) == config[key] or key in ("DYAD_BROKERS", "DYAD_PARTITIONS", "DYAD_REPLICATION_FACTOR"),
                        f"compose {stage} and the k8s ConfigMap disagree on {key}")
    extractor_env = (services.get("extractor") or {}).get("environment") or {}
    c.check(all(extractor_env.get(k) == topics.get(t) for k, t in (
        ("DYAD_ARTICLES_TOPIC", "kArticlesTopic"), ("DYAD_EVENTS_TOPIC", "kEventsTopic"),
        ("DYAD_ARTICLES_DLQ_TOPIC", "kArticlesDlqTopic"))), "compose extractor: topics must be libs/kafka/topics.h's")

    # ------------------------------------------------------------------ Dockerfile
    c.start("Dockerfile")
    lines = [l for l in re.sub(r"\\\n", " ", dockerfile).splitlines() if l.strip() and not l.lstrip().startswith("#")]
    froms = [l.split()[1] for l in lines if l.split()[0].upper() == "FROM"]
    c.check(len(froms) >= 2, f"Dockerfile: {len(froms)} FROM stages, needs a build and a runtime stage")
    c.check(froms[:1] == ["debian:12"] and froms[-1:] == ["debian:12-slim"],
            f"Dockerfile: stages {froms}: build FROM debian:12, runtime FROM debian:12-slim")
    last_from = max(i for i, l in enumerate(lines) if l.split()[0].upper() == "FROM")
    runtime = lines[last_from:]
    users = [l.split()[1] for l in runtime if l.split()[0].upper() == "USER"]
    c.check(bool(users) and users[-1].split(":")[0] not in ("0", "root"), f"Dockerfile: runtime USER {users} must be non-root")
    c.check(bool(users) and users[-1].split(":")[0] == "10001", "Dockerfile: runtime USER must be 10001 (k8s runAsUser)")
    for stage in STAGES:
        uid = (container(stage).get("securityContext") or {}).get("runAsUser",
                                                                   ((pod(stage).get("spec") or {}).get("securityContext") or {}).get("runAsUser"))
        c.check(uid == 10001, f"k8s {BINARIES[stage]}: runAsUser {uid} must be the image's user 10001")
    dev_sh = read(repo.path("scripts", "dev.sh"))
    build_pkgs = set(re.search(r"BUILD_PACKAGES=\(([^)]*)\)", dev_sh).group(1).split())
    build_stage = "\n".join(lines[:last_from])
    installed = set(re.findall(r"[a-z0-9][a-z0-9+.-]+", " ".join(re.findall(r"apt-get install ([^&]*)", build_stage))))
    c.check(build_pkgs <= installed, f"Dockerfile: build stage misses {sorted(build_pkgs - installed)} of BUILD_PACKAGES")
    runtime_text = "\n".join(runtime)
    rt_pkgs = set(re.findall(r"[a-z0-9][a-z0-9+.-]+", " ".join(re.findall(r"apt-get install ([^&]*)", runtime_text))))
    c.check(not any(p.endswith("-dev") for p in rt_pkgs), "Dockerfile: no -dev packages at run time")
    for lib in ("librdkafka1", "libprotobuf32", "libgrpc++1.51", "librocksdb7.8", "libspdlog1.10", "libfmt9", "libabsl20220623"):
        c.check(lib in rt_pkgs, f"Dockerfile: runtime stage needs {lib}")
    c.check("option(DYAD_BUILD_TESTS" in read(repo.path("CMakeLists.txt")) and "-DDYAD_BUILD_TESTS=OFF" in build_stage,
            "Dockerfile: build with -DDYAD_BUILD_TESTS=OFF (an option of CMakeLists.txt)")
    c.check("cmake --preset release" in build_stage, "Dockerfile: use the release preset")
    preset_dir = "build/release"
    built = re.search(r"--target ([\w -]+)", build_stage)
    c.check(bool(built) and set(BINARIES_ALL) <= set(built.group(1).split()), "Dockerfile: build the four targets")
    for b, sub in (("dyad-ingest", "ingest"), ("dyad-extractor", "extractor"), ("dyad-query", "query"), ("dyad", "cli")):
        cmake = read(repo.path("services", sub, "CMakeLists.txt"))
        c.check(re.search(rf"add_executable\({re.escape(b)}\s", cmake) is not None,
                f"services/{sub}/CMakeLists.txt does not build {b}")
        c.check(re.search(rf"COPY --from=\w+ /src/{preset_dir}/services/{sub}/{re.escape(b)} /usr/local/bin/{re.escape(b)}\s*$",
                          runtime_text, re.M) is not None,
                f"Dockerfile: must copy {preset_dir}/services/{sub}/{b} to /usr/local/bin/{b}")
    data_env = re.search(r"^ENV DYAD_DATA_DIR=(\S+)", runtime_text, re.M)
    c.check(bool(data_env) and re.search(rf"COPY --from=\w+ /src/data {re.escape(data_env.group(1))}\s*$", runtime_text, re.M) is not None,
            "Dockerfile: copy data/ to $DYAD_DATA_DIR")
    c.check(any('getenv("DYAD_DATA_DIR")' in read(f) for f in glob.glob(repo.path("libs", "*", "src", "*.cc"))),
            "no libs/*/src/*.cc reads DYAD_DATA_DIR any more: the image's data directory is not found")
    c.check(re.search(r"^CMD \[\"dyad\", \"--help\"\]", runtime_text, re.M) is not None, "Dockerfile: CMD must show dyad --help")
    c.check(not any(l.split()[0].upper() == "ENTRYPOINT" for l in runtime), "Dockerfile: no ENTRYPOINT")
    state = compose_flags("query").get("--state-dir", "")
    c.check(bool(state) and re.search(rf"install -d -o 10001 -g 10001 {re.escape(state)}\b", runtime_text) is not None,
            f"Dockerfile: create the compose query --state-dir {state} owned by 10001 (volume ownership)")
    ignore = repo.path("deploy", "docker", "Dockerfile.dockerignore")
    c.check(os.path.isfile(ignore) and "build/" in read(ignore).split(), "deploy/docker/Dockerfile.dockerignore must exclude build/")

    # ------------------------------------------------------------------ Grafana
    c.start("grafana dashboard")
    c.check(isinstance(dash.get("schemaVersion"), int) and bool(dash.get("title")) and bool(dash.get("uid")),
            "dashboard: needs schemaVersion, title, uid")
    panels = dash.get("panels") or []
    ids = [p.get("id") for p in panels]
    c.check(len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids), "dashboard: panel ids must be unique integers")
    var_names = {v.get("name") for v in (dash.get("templating") or {}).get("list") or []}
    used_metrics = set()
    n_queries = 0
    for p in panels:
        if p.get("type") == "row":
            continue
        gp = p.get("gridPos") or {}
        c.check(all(isinstance(gp.get(k), int) for k in ("h", "w", "x", "y")), f"panel {p.get('title')}: needs gridPos")
        targets = p.get("targets") or []
        c.check(len(targets) >= 1, f"panel {p.get('title')}: no targets")
        for t in targets:
            expr = t.get("expr") or ""
            n_queries += 1
            c.check(bool(expr) and bool(t.get("refId")), f"panel {p.get('title')}: a target needs expr and refId")
            for v in re.findall(r"\$\{?(\w+)", expr):
                if not v.startswith("__"):
                    c.check(v in var_names, f"panel {p.get('title')}: ${v} is not a dashboard variable")
            body = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings
            body = re.sub(r"\{[^}]*\}", "", body)                     # label matchers
            body = re.sub(r"\[[^\]]*\]", "", body)                    # ranges
            body = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", body)
            for word in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", body):
                if word in PROMQL_WORDS:
                    continue
                base = re.sub(r"_(bucket|sum|count)$", "", word)
                if word in CONTRACT_COUNTERS_GAUGES:
                    used_metrics.add(word)
                elif base in CONTRACT_HISTOGRAMS and word != base:
                    used_metrics.add(base)
                else:
                    c.check(False, f"panel {p.get('title')}: {word} is not a metric of the contract")
    c.check(n_queries > 0, "dashboard: no queries")
    missing = (CONTRACT_COUNTERS_GAUGES | CONTRACT_HISTOGRAMS) - used_metrics
    c.check(not missing, f"dashboard: contract metrics shown nowhere: {sorted(missing)}")
    for name in ("datasource",):
        c.check(name in var_names, f"dashboard: needs a ${name} variable")

    return 0 if c.report() else 1


if __name__ == "__main__":
    sys.exit(main())
