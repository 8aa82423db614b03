"""Integration: the command line behaves as SREs expect: --help lists every
flag and exits 0, --version prints the CMake project version, --log.level
filters the JSON log, bad values are fatal with the flag's name, and
docs/configuration.md holds exactly what --help prints."""
import json
import os
import re
import subprocess
import unittest

from harness import REPO, Broker, Daemon, binary, kafka_free


def run(*args):
    return subprocess.run([binary("outcomesd"), *args], capture_output=True,
                          text=True, timeout=30)


class CliTest(unittest.TestCase):
    @kafka_free
    def test_help_lists_every_flag_and_exits_0(self):
        for flag in ("--help", "-h", "--helpfull"):
            out = run(flag)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stderr, "")
        listed = re.findall(r"^  (--[\w.]+)  \(default", out.stdout, re.M)
        with open(os.path.join(REPO, "daemon", "flags.cc")) as f:
            defined = re.findall(r"^ABSL_FLAG\(", f.read(), re.M)
        self.assertEqual(len(listed), len(defined))
        for name in ("--kafka.brokers", "--listen", "--rules", "--log.level",
                     "--http.admin_token_file", "--providers.max",
                     "--privacy.key_file"):
            self.assertIn(name, listed)

    @kafka_free
    def test_version(self):
        with open(os.path.join(REPO, "CMakeLists.txt")) as f:
            version = re.search(r"project\(outcomesd VERSION ([\d.]+)",
                                f.read()).group(1)
        out = run("--version")
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, rf"^outcomesd {re.escape(version)} "
                         r"\(revision ([0-9a-f]{12}|unknown), \w+ [\d.]+\)\n$")

    @kafka_free
    def test_configuration_reference_matches_the_binary(self):
        with open(os.path.join(REPO, "docs", "configuration.md")) as f:
            doc = f.read()
        block = re.search(r"<!-- BEGIN outcomesd --help -->\n```\n(.*?)\n```\n"
                          r"<!-- END outcomesd --help -->", doc, re.S)
        self.assertIsNotNone(block)
        self.assertEqual(block.group(1) + "\n", run("--help").stdout,
                         "docs/configuration.md is stale: run "
                         "scripts/gen-config-reference")

    @kafka_free
    def test_bad_log_level_is_fatal(self):
        out = run("--kafka.brokers=127.0.0.1:1", "--log.level=loud")
        self.assertEqual(out.returncode, 1)
        self.assertIn("--log.level must be debug, info, warning or error, "
                      "got 'loud'", out.stderr)

    def test_log_level_warning_drops_info_lines(self):
        broker = Broker(partitions=1)
        self.addCleanup(broker.close)
        d = Daemon(broker.bootstrap, "--log.level=warning")
        self.addCleanup(d.close)
        self.assertEqual(d.get("/healthz")[0], 200)
        d.terminate()
        levels = {json.loads(line)["level"]
                  for line in d.log_text().splitlines() if line.strip()}
        self.assertNotIn("info", levels)
        self.assertNotIn("debug", levels)


if __name__ == "__main__":
    unittest.main()
