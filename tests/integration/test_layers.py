"""The layers of daemon/ are visible and one-way (issue 9): each folder may
include only its own layer and the ones below, and each third-party
library is included only at its edge. Reads the #include lines; no build.

  base    clock, days, partition ids, JSON log, checked files
  state   per-partition funnel state, figures, their export and JSON
  rules   contract goal files -> validated goals
  alerts  goal evaluation, alert lifecycle, notifier (interfaces for sinks)
  brief   the provider meeting brief: JSON, HTML and Markdown from plain
          inputs (figures, goal results, alerts, payment lines)
  kafka   librdkafka adapters of the ingest and alert interfaces
  ingest  decode, validate, dedupe, provider gate, consumer loop
  service daemon/*.cc: flags, evaluation loop, alerting, checkpoints
  http    the HTTP server and the daemon's routes
  ctl     outcomesctl
  main    daemon/main.cc: constructs and wires
daemon/tools (test tools: mock broker, simulator) may use any layer but
main.
"""
import os
import re
import unittest

from harness import REPO, kafka_free

LAYERS = ["base", "state", "rules", "alerts", "brief", "kafka", "ingest", "service",
          "http", "ctl", "main"]
# The interfaces of daemon/http below the routes: the server must not
# depend on the service it serves.
SERVER_FILES = ("http_server", "http_router", "http_types", "admin_guard",
                "connection_reaper", "listen_socket", "worker_pool")
EDGES = {  # third-party header -> the only files that may include it
    r"<librdkafka/rdkafka\.h>|\"rdkafka\.h\"|<rdkafka\.h>":
        ("daemon/kafka/", "daemon/tools/"),
    r"<microhttpd\.h>": ("daemon/http/http_server.cc",),
    r"<httplib\.h>": ("daemon/alerts/httplib_poster.cc",),
    r"<sodium": ("daemon/state/client_hash.cc",),
    r"<yaml-cpp": ("daemon/rules/yaml_proto.cc",),
    r"<nlohmann/": ("daemon/base/json.h",),
}


def layer_of(path):
    """The layer of a repository path under daemon/."""
    parts = path.split("/")
    if parts[1] == "main.cc":
        return "main"
    if len(parts) == 2:
        return "service"
    return parts[1]


def sources():
    for root, _, files in os.walk(os.path.join(REPO, "daemon")):
        for f in sorted(files):
            if f.endswith((".cc", ".h")):
                path = os.path.relpath(os.path.join(root, f), REPO)
                with open(os.path.join(REPO, path)) as src:
                    yield path, src.read()


class LayersTest(unittest.TestCase):
    @kafka_free
    def test_includes_go_down_only(self):
        wrong = []
        for path, text in sources():
            here = layer_of(path)
            for inc in re.findall(r'#include "(daemon/[^"]+)"', text):
                there = layer_of(inc)
                if here == "tools" or there == "tools":
                    if there == "main" or (there == "tools" and here != "tools"):
                        wrong.append(f"{path} -> {inc}")
                    continue
                self.assertIn(here, LAYERS, path)
                self.assertIn(there, LAYERS, inc)
                if LAYERS.index(there) > LAYERS.index(here):
                    wrong.append(f"{path} ({here}) -> {inc} ({there})")
                server = here == "http" and os.path.basename(path).split(".")[0] in SERVER_FILES
                if server and there not in ("base", "http"):
                    wrong.append(f"{path} (http server) -> {inc}")
        self.assertEqual(wrong, [], "includes against the layers")

    @kafka_free
    def test_third_party_libraries_stay_at_their_edge(self):
        wrong = []
        for path, text in sources():
            for pattern, allowed in EDGES.items():
                if re.search(r"#include\s*(" + pattern + ")", text) and \
                        not path.startswith(allowed):
                    wrong.append(f"{path}: {pattern}")
        self.assertEqual(wrong, [])


if __name__ == "__main__":
    unittest.main()
