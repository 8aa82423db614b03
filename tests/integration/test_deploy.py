"""Integration: the Kubernetes manifests, the container file and the SRE rules.

- `kubectl kustomize` renders deploy/base and deploy/overlays/example offline;
  the objects are converted to JSON by `kubectl annotate --local -o json` (no
  cluster, no YAML library) and their key properties are asserted: probes,
  ports, args, mounts, security context, PDB, ServiceMonitor, PrometheusRule.
- The example's container args, config and rule files start a real outcomesd
  against outcomes-broker; its probes' paths answer 200 on the container port
  and SIGTERM ends it with status 0 within the grace period.
- promtool checks and unit-tests rules/prometheus/; the PrometheusRule is the
  generated copy of that file.
- Every object carries the app.kubernetes.io/* labels, selectors only the
  stable ones; the NetworkPolicy lets Prometheus in and outcomesd out to the
  Kafka and Alertmanager ports of its config; the pod spec meets the Pod
  Security Standard "restricted", which the example's namespace enforces.
- The image's command (Containerfile CMD) without --kafka.brokers exits 1 at
  once; with --kafka.brokers=embedded it warns and outcomes_embedded_kafka is 1.
"""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import (Process, binary, free_port, kafka_free, make_broker,
                     wait_until)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASE = os.path.join(REPO, "deploy", "base")
EXAMPLE = os.path.join(REPO, "deploy", "overlays", "example")
PROM_DIR = os.path.join(REPO, "rules", "prometheus")
PARSED = "outcomesd.test/parsed"


def kustomize(path, *flags):
    out = subprocess.run(["kubectl", "kustomize", *flags, path],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"kubectl kustomize {path} failed:\n{out.stderr}")
    return out.stdout


def to_objects(yaml_text):
    """YAML stream -> list of dicts, offline: kubectl reads any kind with
    --local and prints each object as JSON (with one added annotation, which
    is removed again)."""
    out = subprocess.run(
        ["kubectl", "annotate", "--local", "-f", "-", "-o", "json", f"{PARSED}=1"],
        input=yaml_text, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"kubectl annotate --local failed:\n{out.stderr}")
    decoder, text, pos, objects = json.JSONDecoder(), out.stdout, 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        obj, pos = decoder.raw_decode(text, pos)
        items = obj["items"] if obj.get("kind") == "List" else [obj]
        for item in items:
            annotations = item["metadata"]["annotations"]
            del annotations[PARSED]
            if not annotations:
                del item["metadata"]["annotations"]
            objects.append(item)
    documents = [d for d in re.split(r"^---$", yaml_text, flags=re.M) if d.strip()]
    assert len(objects) == len(documents), (len(objects), len(documents))
    return objects


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


APP_LABELS = ("name", "instance", "version", "component", "part-of", "managed-by")
# Selectors must not change over an installation's life (a StatefulSet's
# cannot change at all): version never, instance not either.
SELECTOR_LABELS = {"app.kubernetes.io/name", "app.kubernetes.io/component"}


def selectors(obj):
    """(where, matchLabels) of every label selector in the object."""
    spec, kind = obj.get("spec", {}), obj["kind"]
    found = []
    if kind in ("StatefulSet", "PodDisruptionBudget", "ServiceMonitor"):
        found.append(("spec.selector", spec["selector"]["matchLabels"]))
    if kind == "Service":
        found.append(("spec.selector", spec["selector"]))
    if kind == "NetworkPolicy":
        found.append(("spec.podSelector", spec["podSelector"]["matchLabels"]))
    if kind == "StatefulSet":
        for t in spec["template"]["spec"].get("topologySpreadConstraints", []):
            found.append(("topologySpreadConstraints", t["labelSelector"]["matchLabels"]))
    return found


# Pod Security Standard "restricted" (kubernetes.io/docs/concepts/security/
# pod-security-standards, which includes "baseline"), as a list of violations.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}


def restricted_violations(pod, annotations):
    bad = []
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(host):
            bad.append(host)
    psc = pod.get("securityContext", {})
    for v in pod.get("volumes", []):
        kinds = set(v) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            bad.append(f"volume {v['name']}: {sorted(kinds)}")
    for sysctl in psc.get("sysctls", []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            bad.append(f"sysctl {sysctl['name']}")
    containers = [c for key in ("initContainers", "containers", "ephemeralContainers")
                  for c in pod.get(key, [])]
    for c in containers:
        sc, name = c.get("securityContext", {}), c["name"]
        if sc.get("privileged"):
            bad.append(f"{name}: privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            bad.append(f"{name}: allowPrivilegeEscalation not false")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            bad.append(f"{name}: capabilities not dropping ALL")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            bad.append(f"{name}: capabilities added")
        if any(p.get("hostPort") for p in c.get("ports", [])):
            bad.append(f"{name}: hostPort")
        if sc.get("procMount", "Default") != "Default":
            bad.append(f"{name}: procMount")
        if not sc.get("runAsNonRoot", psc.get("runAsNonRoot")):
            bad.append(f"{name}: runAsNonRoot not true")
        if sc.get("runAsUser", psc.get("runAsUser")) == 0:
            bad.append(f"{name}: runAsUser 0")
        seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            bad.append(f"{name}: seccompProfile {seccomp}")
        for ctx in (psc, sc):
            se = ctx.get("seLinuxOptions", {})
            if se.get("type", "") not in ("", "container_t", "container_init_t",
                                          "container_kvm_t") or "user" in se or "role" in se:
                bad.append(f"{name}: seLinuxOptions")
            if ctx.get("appArmorProfile", {}).get("type") == "Unconfined":
                bad.append(f"{name}: AppArmor unconfined")
        if annotations.get(f"container.apparmor.security.beta.kubernetes.io/{name}",
                           "runtime/default") == "unconfined":
            bad.append(f"{name}: AppArmor unconfined")
    return bad


# deploy/base/networkpolicy.yaml documents its egress rules by index, for
# overlays' patches: 0 DNS, 1 Kafka, 2 Alertmanager.
EGRESS_DNS, EGRESS_KAFKA, EGRESS_ALERTMANAGER = 0, 1, 2


def egress_ports(policy, index):
    """{(protocol, port)} egress rule `index` allows."""
    return {(p.get("protocol", "TCP"), p["port"])
            for p in policy["spec"]["egress"][index].get("ports", [])}


def url_port(url):
    parsed = urllib.parse.urlsplit(url)
    return parsed.port or {"http": 80, "https": 443}[parsed.scheme]


def cmake_project_version():
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        return re.search(r"project\(outcomesd VERSION (\S+)", f.read()).group(1)


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


class Rendered:
    def __init__(self, objects):
        self.objects = objects

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind, name_prefix=None):
        found = [o for o in self.of_kind(kind)
                 if name_prefix is None or o["metadata"]["name"].startswith(name_prefix)]
        assert len(found) == 1, f"expected one {kind} {name_prefix or ''}, got {len(found)}"
        return found[0]


class DeployTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = Rendered(to_objects(kustomize(BASE)))
        # The example reads the repository's rules/ (outside the overlay).
        cls.example = Rendered(to_objects(kustomize(
            EXAMPLE, "--load-restrictor=LoadRestrictionsNone")))

    # ---- the workload ---------------------------------------------------------

    def check_workload(self, r):
        sts = r.one("StatefulSet")
        spec, pod = sts["spec"], sts["spec"]["template"]["spec"]
        labels = sts["spec"]["template"]["metadata"]["labels"]
        self.assertTrue(matches(spec["selector"]["matchLabels"], labels))
        self.assertEqual(spec["podManagementPolicy"], "Parallel")
        self.assertGreaterEqual(pod["terminationGracePeriodSeconds"], 10)
        self.assertFalse(pod["automountServiceAccountToken"])
        self.assertEqual(len(pod["containers"]), 1)
        c = pod["containers"][0]
        args = dict(a[2:].split("=", 1) for a in c["args"])

        # docs/configuration.md flags, and nothing outcomesd does not know.
        for flag in ("kafka.brokers", "kafka.group", "kafka.config", "rules", "listen",
                     "alertmanager.url", "state.dir", "eval.interval"):
            self.assertIn(flag, args)
        known = subprocess.run([binary("outcomesd"), "--helpfull"],
                               capture_output=True, text=True).stdout
        for flag in args:
            self.assertIn(f"  --{flag}  (default", known, f"unknown flag --{flag}")

        # The port: --listen, containerPort, probes.
        port = {p["name"]: p for p in c["ports"]}["http-metrics"]
        self.assertEqual(port["containerPort"], 9464)
        self.assertEqual(args["listen"], "0.0.0.0:9464")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"),
                            ("startupProbe", "/healthz")):
            self.assertEqual(c[probe]["httpGet"]["path"], path, probe)
            self.assertIn(c[probe]["httpGet"]["port"], ("http-metrics", 9464), probe)

        # Mounts: rules from the ConfigMap, --kafka.config from the Secret,
        # --state.dir on the pod's own volume claim.
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}

        def volume_at(path):
            best = max((m for m in mounts if path == m or path.startswith(m + "/")),
                       key=len)
            return mounts[best], volumes.get(mounts[best]["name"])

        mount, vol = volume_at(args["rules"])
        self.assertTrue(mount.get("readOnly"))
        rules_cm = vol["configMap"]["name"]
        self.assertTrue(rules_cm.startswith("outcomesd-rules-"), rules_cm)
        self.assertIn(rules_cm, [o["metadata"]["name"] for o in r.of_kind("ConfigMap")])

        mount, vol = volume_at(args["kafka.config"])
        self.assertTrue(mount.get("readOnly"))
        self.assertTrue(vol["secret"]["secretName"].startswith("outcomesd-kafka"))
        item = {i["path"]: i["key"] for i in vol["secret"]["items"]}
        self.assertEqual(item[os.path.relpath(args["kafka.config"], mount["mountPath"])],
                         "kafka.properties")

        # docs/design.md, "Safe to expose": the client hash key comes from its own Secret.
        mount, vol = volume_at(args["privacy.key_file"])
        self.assertTrue(mount.get("readOnly"))
        self.assertTrue(vol["secret"]["secretName"].startswith("outcomesd-privacy"))
        self.assertNotIn("optional", vol["secret"])
        item = {i["path"]: i["key"] for i in vol["secret"]["items"]}
        self.assertEqual(item[os.path.relpath(args["privacy.key_file"],
                                              mount["mountPath"])], "client-hash.key")

        # The admin token of POST /-/reload comes from its own Secret too.
        mount, vol = volume_at(args["http.admin_token_file"])
        self.assertTrue(mount.get("readOnly"))
        self.assertTrue(vol["secret"]["secretName"].startswith("outcomesd-admin"))
        self.assertNotIn("optional", vol["secret"])
        item = {i["path"]: i["key"] for i in vol["secret"]["items"]}
        self.assertEqual(item[os.path.relpath(args["http.admin_token_file"],
                                              mount["mountPath"])], "token")

        mount, vol = volume_at(args["state.dir"])
        self.assertIsNone(vol, "state is a volumeClaimTemplate, not a pod volume")
        claims = [t["metadata"]["name"] for t in spec["volumeClaimTemplates"]]
        self.assertIn(mount["name"], claims)

        # $(VAR)s in args all come from the config ConfigMap.
        config = [e["configMapRef"]["name"] for e in c["envFrom"]]
        self.assertEqual(len(config), 1)
        data = {o["metadata"]["name"]: o.get("data", {}) for o in r.of_kind("ConfigMap")}
        for var in re.findall(r"\$\((\w+)\)", " ".join(c["args"])):
            self.assertIn(var, data[config[0]])

        # Security: non-root, read-only root, no capabilities (Pod Security
        # Standard "restricted").
        psc, sc = pod["securityContext"], c["securityContext"]
        self.assertTrue(psc["runAsNonRoot"])
        self.assertGreater(psc["runAsUser"], 0)
        self.assertEqual(psc["seccompProfile"]["type"], "RuntimeDefault")
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertFalse(sc["allowPrivilegeEscalation"])
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertNotIn("add", sc["capabilities"])
        for v in pod["volumes"]:
            self.assertTrue({"configMap", "secret", "emptyDir"} & set(v), v["name"])
        template_annotations = spec["template"]["metadata"].get("annotations", {})
        self.assertEqual(restricted_violations(pod, template_annotations), [])

        for kind in ("requests", "limits"):
            self.assertIn("memory", c["resources"][kind])
        self.assertIn("cpu", c["resources"]["requests"])
        return sts

    def check_service_and_monitoring(self, r, sts):
        pod_labels = sts["spec"]["template"]["metadata"]["labels"]
        services = {s["metadata"]["name"]: s for s in r.of_kind("Service")}
        svc = services["outcomesd"]
        self.assertTrue(matches(svc["spec"]["selector"], pod_labels))
        port = {p["name"]: p for p in svc["spec"]["ports"]}["http-metrics"]
        self.assertEqual(port["port"], 9464)
        self.assertEqual(port["targetPort"], "http-metrics")
        headless = services[sts["spec"]["serviceName"]]
        self.assertEqual(headless["spec"]["clusterIP"], "None")

        pdb = r.one("PodDisruptionBudget")
        self.assertEqual(pdb["apiVersion"], "policy/v1")
        self.assertTrue(matches(pdb["spec"]["selector"]["matchLabels"], pod_labels))
        self.assertEqual(pdb["spec"]["maxUnavailable"], 1)

        sm = r.one("ServiceMonitor")
        self.assertEqual(sm["apiVersion"], "monitoring.coreos.com/v1")
        selected = [s for s in r.of_kind("Service")
                    if matches(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
        self.assertEqual([s["metadata"]["name"] for s in selected], ["outcomesd"],
                         "the ServiceMonitor scrapes each pod once")
        endpoint, = sm["spec"]["endpoints"]
        self.assertEqual(endpoint["port"], "http-metrics")
        self.assertEqual(endpoint["path"], "/metrics")

        rule = r.one("PrometheusRule")
        self.assertEqual(rule["apiVersion"], "monitoring.coreos.com/v1")
        with open(os.path.join(PROM_DIR, "outcomesd.rules.yaml")) as f:
            source_alerts = re.findall(r"^\s*- alert:\s*(\S+)", f.read(), re.M)
        rendered = [x["alert"] for g in rule["spec"]["groups"] for x in g["rules"]
                    if "alert" in x]
        self.assertEqual(rendered, source_alerts)
        # job="outcomesd" in the rules is the scraped Service's name.
        for g in rule["spec"]["groups"]:
            for x in g["rules"]:
                self.assertIn('job="outcomesd"', x["expr"], x)

    def check_labels(self, r, instance, version):
        for o in r.objects:
            labels, what = o["metadata"].get("labels", {}), f"{o['kind']} {o['metadata']['name']}"
            for key in APP_LABELS:
                self.assertIn(f"app.kubernetes.io/{key}", labels, what)
            self.assertEqual(labels["app.kubernetes.io/name"], "outcomesd", what)
            self.assertEqual(labels["app.kubernetes.io/part-of"], "outcomes", what)
            self.assertEqual(labels["app.kubernetes.io/managed-by"], "kustomize", what)
            self.assertEqual(labels["app.kubernetes.io/instance"], instance, what)
            self.assertEqual(labels["app.kubernetes.io/version"], version, what)
            for where, selector in selectors(o):
                self.assertLessEqual(set(selector), SELECTOR_LABELS, f"{what} {where}")
        sts = r.one("StatefulSet")
        pod_labels = sts["spec"]["template"]["metadata"]["labels"]
        for key in APP_LABELS:
            self.assertEqual(pod_labels[f"app.kubernetes.io/{key}"],
                             sts["metadata"]["labels"][f"app.kubernetes.io/{key}"], key)
        # A StatefulSet's claim templates cannot change after creation: no
        # label there that an upgrade or a new overlay would change.
        for claim in sts["spec"]["volumeClaimTemplates"]:
            self.assertEqual(claim["metadata"]["labels"], {"app.kubernetes.io/name": "outcomesd"})

    def check_network_policy(self, r, sts):
        policy = r.one("NetworkPolicy")
        spec = policy["spec"]
        pod_labels = sts["spec"]["template"]["metadata"]["labels"]
        self.assertTrue(matches(spec["podSelector"]["matchLabels"], pod_labels))
        self.assertEqual(sorted(spec["policyTypes"]), ["Egress", "Ingress"])
        port = {p["name"]: p for p in sts["spec"]["template"]["spec"]["containers"][0]["ports"]}
        # Ingress only to the HTTP port: from Prometheus' namespace (a
        # namespaceSelector overlays can point elsewhere) and from pods of the
        # same namespace (a podSelector without namespaceSelector).
        sources = []
        for rule in spec["ingress"]:
            for p in rule["ports"]:
                self.assertIn(p["port"], ("http-metrics", port["http-metrics"]["containerPort"]))
                self.assertEqual(p.get("protocol", "TCP"), "TCP")
            sources += rule["from"]
        self.assertIn({"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "monitoring"}}}, sources)
        self.assertIn({"podSelector": {}}, sources)
        # Egress: DNS, and the ports of the configured Kafka brokers and
        # Alertmanager URL (an example value when the base leaves it empty).
        self.assertEqual(len(spec["egress"]), 3)
        self.assertEqual(egress_ports(policy, EGRESS_DNS), {("UDP", 53), ("TCP", 53)})
        c = sts["spec"]["template"]["spec"]["containers"][0]
        config = r.one("ConfigMap", c["envFrom"][0]["configMapRef"]["name"])["data"]
        kafka = egress_ports(policy, EGRESS_KAFKA)
        for broker in config["OUTCOMESD_KAFKA_BROKERS"].split(","):
            self.assertIn(("TCP", int(broker.rsplit(":", 1)[1])), kafka, broker)
        alertmanager = egress_ports(policy, EGRESS_ALERTMANAGER)
        self.assertIn(("TCP", 9093), alertmanager, "Alertmanager's default port")
        for url in filter(None, config["OUTCOMESD_ALERTMANAGER_URL"].split(",")):
            self.assertIn(("TCP", url_port(url)), alertmanager, url)
        return policy

    @kafka_free
    def test_base(self):
        sts = self.check_workload(self.base)
        self.check_service_and_monitoring(self.base, sts)
        self.check_labels(self.base, "outcomesd", cmake_project_version())
        policy = self.check_network_policy(self.base, sts)
        # The base allows its egress ports to any destination; overlays narrow.
        for rule in policy["spec"]["egress"]:
            self.assertNotIn("to", rule)
        self.assertEqual(sts["spec"]["replicas"], 1)
        for o in self.base.objects:
            self.assertNotIn("namespace", o["metadata"], "the base leaves namespaces to overlays")
        self.assertEqual(self.base.of_kind("Secret"), [],
                         "the base ships no credentials")

    @kafka_free
    def test_example_overlay(self):
        r = self.example
        sts = self.check_workload(r)
        self.check_service_and_monitoring(r, sts)
        self.assertEqual(sts["spec"]["replicas"], 3)
        tag = sts["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1]
        self.check_labels(r, "outcomes", tag)
        policy = self.check_network_policy(r, sts)
        # Kafka and Alertmanager egress narrowed to their namespaces.
        for index, namespace in ((EGRESS_KAFKA, "kafka"), (EGRESS_ALERTMANAGER, "monitoring")):
            self.assertEqual(policy["spec"]["egress"][index]["to"], [{"namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": namespace}}}])
        ns = r.one("Namespace")["metadata"]["name"]
        for o in r.objects:
            if o["kind"] != "Namespace":
                self.assertEqual(o["metadata"].get("namespace"), ns, o["metadata"]["name"])
        c = sts["spec"]["template"]["spec"]["containers"][0]
        self.assertRegex(c["image"], r"^[\w.\-/]+/outcomesd:[\w.\-]+$")
        # Every contract file of rules/ is in the rules ConfigMap, unchanged.
        rules = r.one("ConfigMap", "outcomesd-rules-")["data"]
        expected = {}
        for name in sorted(os.listdir(os.path.join(REPO, "rules"))):
            if name.endswith((".yaml", ".yml")):
                with open(os.path.join(REPO, "rules", name)) as f:
                    expected[name] = f.read()
        self.assertEqual(rules, expected)
        secret = r.one("Secret", "outcomesd-kafka")
        self.assertEqual(list(secret["data"]), ["kafka.properties"])
        # The example's client hash key is a placeholder outcomesd refuses.
        key = r.one("Secret", "outcomesd-privacy")["data"]
        self.assertEqual(list(key), ["client-hash.key"])
        with tempfile.NamedTemporaryFile("wb", suffix=".key") as f:
            f.write(base64.b64decode(key["client-hash.key"]))
            f.flush()
            out = subprocess.run([binary("outcomesd"), "--kafka.brokers=127.0.0.1:1",
                                  "--listen=127.0.0.1:0", f"--privacy.key_file={f.name}"],
                                 capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn("the key is 9 bytes; it must be 16 to 4096 bytes", out.stderr)
        # So is the example's admin token.
        token = r.one("Secret", "outcomesd-admin")["data"]
        self.assertEqual(list(token), ["token"])
        with tempfile.NamedTemporaryFile("wb", suffix=".token") as f:
            f.write(base64.b64decode(token["token"]))
            f.flush()
            out = subprocess.run([binary("outcomesd"), "--kafka.brokers=127.0.0.1:1",
                                  "--listen=127.0.0.1:0",
                                  f"--http.admin_token_file={f.name}"],
                                 capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn("holds a token of 9 bytes; at least 16 are required", out.stderr)

    @kafka_free
    def test_example_namespace_enforces_restricted(self):
        labels = self.example.one("Namespace")["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            self.assertEqual(labels[f"pod-security.kubernetes.io/{mode}"], "restricted", mode)
            self.assertEqual(labels[f"pod-security.kubernetes.io/{mode}-version"], "latest")

    @kafka_free
    def test_restricted_check_catches_violations(self):
        # The checker of check_workload, shown to fail on what it guards.
        pod = self.example.one("StatefulSet")["spec"]["template"]["spec"]
        for mutate, expected in (
                (lambda p: p["securityContext"].pop("seccompProfile"), "seccompProfile"),
                (lambda p: p["containers"][0]["securityContext"].update(
                    allowPrivilegeEscalation=True), "allowPrivilegeEscalation"),
                (lambda p: p["containers"][0]["securityContext"]["capabilities"].update(
                    add=["NET_ADMIN"]), "capabilities added"),
                (lambda p: p["volumes"].append({"name": "h", "hostPath": {"path": "/"}}),
                 "hostPath"),
                (lambda p: p.update(hostNetwork=True), "hostNetwork"),
                (lambda p: [p["securityContext"].pop("runAsNonRoot"),
                            p["containers"][0]["securityContext"].pop("runAsNonRoot")],
                 "runAsNonRoot")):
            bad = json.loads(json.dumps(pod))
            mutate(bad)
            self.assertIn(expected, " ".join(restricted_violations(bad, {})))

    @kafka_free
    def test_example_documents_its_load_restrictor(self):
        # Without the flag kustomize refuses rules/ outside the overlay: the
        # overlay's header documents the flag.
        with open(os.path.join(EXAMPLE, "kustomization.yaml")) as f:
            self.assertIn("--load-restrictor=LoadRestrictionsNone", f.read())

    # ---- the manifest's command line runs the real daemon -------------------

    def test_example_args_start_outcomesd(self):
        r = self.example
        sts = r.one("StatefulSet")
        pod = sts["spec"]["template"]["spec"]
        c = pod["containers"][0]
        env = dict(r.one("ConfigMap", c["envFrom"][0]["configMapRef"]["name"])["data"])
        broker = make_broker(partitions=2)
        self.addCleanup(broker.close)
        # Only what cannot be the same on 127.0.0.1: the Kafka address, no
        # Alertmanager, short sessions instead of the example's SASL secret.
        env["OUTCOMESD_KAFKA_BROKERS"] = broker.bootstrap
        env["OUTCOMESD_ALERTMANAGER_URL"] = ""
        root = tempfile.mkdtemp(prefix="deploy-root-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        volumes = {v["name"]: v for v in pod["volumes"]}
        configmaps = {o["metadata"]["name"]: o["data"] for o in r.of_kind("ConfigMap")}
        mounts = {}
        for m in c["volumeMounts"]:
            local = os.path.join(root, m["mountPath"].lstrip("/"))
            os.makedirs(local)
            mounts[m["mountPath"]] = local
            v = volumes.get(m["name"], {})
            if "configMap" in v:
                for key, text in configmaps[v["configMap"]["name"]].items():
                    with open(os.path.join(local, key), "w") as f:
                        f.write(text)
            if "secret" in v:
                for item in v["secret"]["items"]:
                    with open(os.path.join(local, item["path"]), "w") as f:
                        if item["key"] in ("client-hash.key", "token"):  # not placeholders
                            f.write(os.urandom(16).hex())
                        else:
                            f.write("session.timeout.ms=6000\nheartbeat.interval.ms=1000\n")
        port = free_port()
        args = []
        for a in c["args"]:
            a = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], a)
            flag, _, value = a.partition("=")
            inside = [p for p in mounts if value == p or value.startswith(p + "/")]
            if inside:
                path = max(inside, key=len)
                a = f"{flag}={mounts[path]}{value[len(path):]}"
            a = a.replace("--listen=0.0.0.0:9464", f"--listen=127.0.0.1:{port}")
            args.append(a)
        self.assertIn(f"--listen=127.0.0.1:{port}", args)
        daemon = Process([binary("outcomesd"), *args], "outcomesd-deploy")
        self.addCleanup(daemon.close)

        def probe(name):
            if daemon.proc.poll() is not None:
                raise AssertionError("outcomesd exited:\n" + daemon.log_text())
            path = c[name]["httpGet"]["path"]
            return http_status(f"http://127.0.0.1:{port}{path}") == 200
        wait_until(lambda: probe("startupProbe"), 20, "startup probe")
        self.assertTrue(probe("livenessProbe"))
        wait_until(lambda: probe("readinessProbe"), 30, "readiness probe", interval=0.2)
        loaded = re.search(r'"msg":"rules loaded".*"goals":(\d+)', daemon.log_text())
        self.assertGreater(int(loaded.group(1)), 0, "the example's contract goals loaded")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as m:
            self.assertRegex(m.read().decode(), r"(?m)^outcomes_embedded_kafka 0$")
        self.assertNotIn("--kafka.brokers=embedded", daemon.log_text())
        started = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        code = daemon.proc.wait(pod["terminationGracePeriodSeconds"])
        self.assertEqual(code, 0, daemon.log_text())
        self.assertLess(time.monotonic() - started, 5, "docs/configuration.md: exit within 5 s")

    # ---- container image ------------------------------------------------------

    def image_command(self):
        """The Containerfile's CMD as this machine runs it: the image's rule
        files (rules/*.yaml) in a temporary directory, the state directory
        temporary too, --listen on a free loopback port."""
        with open(os.path.join(REPO, "deploy", "Containerfile")) as f:
            cmd = json.loads(re.search(r"^CMD (\[.*\])$", f.read(), re.M).group(1))
        root = tempfile.mkdtemp(prefix="image-root-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        rules = os.path.join(root, "rules")
        os.makedirs(rules)
        for name in os.listdir(os.path.join(REPO, "rules")):
            if name.endswith(".yaml"):
                shutil.copy(os.path.join(REPO, "rules", name), rules)
        port = free_port()
        local = {"--rules=/etc/outcomesd/rules": f"--rules={rules}",
                 "--state.dir=/var/lib/outcomesd": f"--state.dir={root}/state",
                 "--listen=0.0.0.0:9464": f"--listen=127.0.0.1:{port}"}
        self.assertEqual(sorted(cmd), sorted(local), "CMD changed: update this test")
        return [local[a] for a in cmd], port

    @kafka_free
    def test_image_command_without_brokers_fails_fast(self):
        args, port = self.image_command()
        self.assertFalse([a for a in args if a.startswith("--kafka")])
        started = time.monotonic()
        out = subprocess.run([binary("outcomesd"), *args], capture_output=True, text=True,
                             timeout=20)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn("--kafka.brokers is required: give the Kafka bootstrap servers",
                      out.stderr)
        self.assertNotIn("embedded kafka started", out.stderr)
        self.assertIsNone(http_status(f"http://127.0.0.1:{port}/healthz"))

    @kafka_free
    def test_image_command_with_embedded_broker_warns(self):
        args, port = self.image_command()
        daemon = Process([binary("outcomesd"), *args, "--kafka.brokers=embedded"],
                         "outcomesd-embedded")
        self.addCleanup(daemon.close)

        def gauge():
            if daemon.proc.poll() is not None:
                raise AssertionError("outcomesd exited:\n" + daemon.log_text())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                            timeout=2) as r:
                    text = r.read().decode()
            except OSError:
                return None
            found = re.search(r"^outcomes_embedded_kafka (\S+)$", text, re.M)
            return found and float(found.group(1))
        wait_until(lambda: gauge() is not None, 20, "/metrics")
        self.assertEqual(gauge(), 1)
        warning = [json.loads(line) for line in daemon.log_text().splitlines()
                   if "--kafka.brokers=embedded" in line]
        self.assertEqual([w["level"] for w in warning], ["warning"])
        self.assertIn("lost at exit", warning[0]["msg"])
        self.assertEqual(daemon.terminate(), 0, daemon.log_text())

    @kafka_free
    def test_containerfile(self):
        with open(os.path.join(REPO, "deploy", "Containerfile")) as f:
            text = f.read()
        stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
        self.assertEqual(stages, ["debian:12", "debian:12-slim"])
        self.assertIn("scripts/build", text)
        self.assertIn("NOT BUILT", text)  # says why it is not built here
        user = re.search(r"^USER\s+(\d+)", text, re.M).group(1)
        pod = self.example.one("StatefulSet")["spec"]["template"]["spec"]
        self.assertEqual(int(user), pod["securityContext"]["runAsUser"])
        self.assertEqual(re.search(r"^EXPOSE\s+(\d+)", text, re.M).group(1), "9464")
        self.assertRegex(text, r'ENTRYPOINT \["/usr/local/bin/outcomesd"\]')

    # ---- Prometheus rules -----------------------------------------------------

    @kafka_free
    def test_promtool_check_and_test_rules(self):
        for cmd in (["promtool", "check", "rules", "outcomesd.rules.yaml"],
                    ["promtool", "test", "rules", "outcomesd.rules.test.yaml"]):
            out = subprocess.run(cmd, cwd=PROM_DIR, capture_output=True, text=True,
                                 timeout=60)
            self.assertEqual(out.returncode, 0, f"{cmd}:\n{out.stdout}{out.stderr}")
        with open(os.path.join(PROM_DIR, "outcomesd.rules.yaml")) as f:
            alerts = re.findall(r"^\s*- alert:\s*(\S+)", f.read(), re.M)
        with open(os.path.join(PROM_DIR, "outcomesd.rules.test.yaml")) as f:
            tests = f.read()
        fired = set(re.findall(r"alertname: (\w+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels",
                               tests))
        self.assertEqual(sorted(set(alerts) - fired), [], "alerts never shown to fire")

    @kafka_free
    def test_prometheusrule_is_generated_from_rules_file(self):
        out = subprocess.run([os.path.join(REPO, "deploy", "generate-prometheusrule"),
                              "--check"], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
