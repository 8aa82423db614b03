"""Interop: events produced by kafka-python (its own implementation of the
Kafka protocol, not librdkafka) are counted exactly by outcomesd, and its
dead letters read back with kafka-python carry their headers.

kafka-python partitions keys with murmur2 (the Java client's partitioner),
librdkafka with CRC32: a provider lands on another partition than kcat would
put it, and the daemon must not care. Real broker only (see below).

Needs kafka-python: re-executes itself under the venv that scripts/setup
made ($OUTCOMES_CACHE_DIR/venv) when the running python lacks it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

try:
    import kafka  # noqa: F401
except ImportError:
    if os.path.exists(harness.VENV_PYTHON) and \
            os.path.realpath(sys.executable) != os.path.realpath(
                harness.VENV_PYTHON):
        os.execv(harness.VENV_PYTHON,
                 [harness.VENV_PYTHON, "-u", os.path.abspath(__file__),
                  *sys.argv[1:]])
    raise

import time  # noqa: E402
import unittest  # noqa: E402

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402

from harness import (Daemon, encode_event, make_broker, metric_sum,  # noqa: E402
                     requires_real_kafka, to_json, wait_until)

TOPIC = "outcomes.events"
DLQ = "outcomes.events.dlq"
PARTITIONS = 4
PROVIDERS = [f"prov-py-{i}" for i in range(6)]

# Real broker only: kafka-python 3.0.12 cannot bootstrap from librdkafka
# 2.0.2's mock cluster. The mock answers its ApiVersions v4 request with an
# UNSUPPORTED_VERSION response that kafka-python fails to decode ("Unable to
# decode response"), and with api_version pinned (0.11, 1.0, 2.0) its
# metadata requests never complete.


def event(n, type_, provider, client, age_hours=2):
    return {"event_id": f"py-{provider}-{n}", "type": type_,
            "occurred_at": time.time() - age_hours * 3600,
            "provider_id": provider, "program_id": "workforce",
            "client_key": client, "attributes": {"race_ethnicity": "white"}}


@requires_real_kafka
class InteropTest(unittest.TestCase):
    def setUp(self):
        self.broker = make_broker(partitions=PARTITIONS)
        self.addCleanup(self.broker.close)

    def producer(self):
        p = KafkaProducer(bootstrap_servers=self.broker.bootstrap,
                          key_serializer=str.encode, acks="all", linger_ms=5,
                          request_timeout_ms=30000, max_block_ms=30000)
        self.addCleanup(p.close, timeout=10)
        return p

    def test_kafka_python_events_are_counted_and_dead_lettered(self):
        d = Daemon(self.broker.bootstrap)
        self.addCleanup(d.close)
        wait_until(d.ready, 60, "outcomesd ready (empty topic)", interval=0.2)

        producer = self.producer()
        want = {p: {"referral": 0, "enrollment": 0, "completion": 0}
                for p in PROVIDERS}
        totals = {"referral": 0, "enrollment": 0, "completion": 0}
        sent = []   # (provider, future)
        n = 0
        for i, provider in enumerate(PROVIDERS):
            for c in range(5 + i):
                client = f"secret-{provider}-{c}"
                kinds = ["referral"]
                if c % 2 == 0:
                    kinds.append("enrollment")
                if c % 4 == 0:
                    kinds.append("completion")
                for k in kinds:
                    n += 1
                    ev = event(n, k, provider, client,
                               age_hours=10 - kinds.index(k))
                    # Alternate binary protobuf and proto3 JSON values.
                    value = encode_event(ev) if n % 2 else to_json(ev)
                    sent.append((provider,
                                 producer.send(TOPIC, key=provider,
                                               value=value)))
                    want[provider][k] += 1
                    totals[k] += 1
        bad = {
            "malformed": (b"\xff\xff\xffgarbage", "prov-py-0"),
            "missing_field": (encode_event(
                {k: v for k, v in event(900, "referral", "prov-py-1",
                                        "secret-x").items()
                 if k != "client_key"}), "prov-py-1"),
        }
        bad_meta = {}
        for reason, (value, key) in bad.items():
            bad_meta[reason] = producer.send(TOPIC, key=key, value=value)
        producer.flush(timeout=30)

        partition_of = {}
        for provider, future in sent:
            meta = future.get(timeout=30)
            partition_of.setdefault(provider, set()).add(meta.partition)
        for provider, parts in partition_of.items():
            self.assertEqual(len(parts), 1, f"{provider} keyed to one partition")
        bad_meta = {r: f.get(timeout=30) for r, f in bad_meta.items()}

        def counted():
            m = d.metrics()
            got = {k: m.get(f'outcomes_events_total{{type="{k}"}}', 0)
                   for k in totals}
            rejected = metric_sum(m, "outcomes_events_rejected_total")
            return (got == totals and rejected == len(bad)) and m
        m = wait_until(counted, 60, f"outcomesd counts {totals} + "
                       f"{len(bad)} rejects", interval=0.2)
        for k, v in totals.items():
            self.assertEqual(m[f'outcomes_events_total{{type="{k}"}}'], v)
        for reason in bad:
            self.assertEqual(
                m[f'outcomes_events_rejected_total{{reason="{reason}"}}'], 1)
        self.assertEqual(metric_sum(m, "outcomes_events_duplicate_total"), 0)
        wait_until(d.ready, 30, "outcomesd ready after the stream")

        # The listing follows the evaluation (--eval.interval=1s).
        def listed():
            got = {p["provider"]: p
                   for p in d.json("/api/v1/providers")["providers"]}
            return sorted(got) == sorted(PROVIDERS) and got
        got = wait_until(listed, 30, "every provider in /api/v1/providers",
                         interval=0.2)
        self.assertEqual(sorted(got), sorted(PROVIDERS))
        for provider in PROVIDERS:
            p = got[provider]
            self.assertEqual(p["topic"], TOPIC)
            self.assertEqual({p["partition"]}, partition_of[provider])
            [prog] = p["programs"]
            self.assertEqual(prog["program"], "workforce")
            self.assertEqual(
                (prog["referrals"], prog["enrollments"], prog["completions"]),
                (want[provider]["referral"], want[provider]["enrollment"],
                 want[provider]["completion"]), provider)

        # Dead letters, read with kafka-python: original key and value,
        # headers naming the reason and the source.
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap,
                                 auto_offset_reset="earliest",
                                 enable_auto_commit=False,
                                 consumer_timeout_ms=2000,
                                 request_timeout_ms=30000)
        self.addCleanup(consumer.close)
        parts = [TopicPartition(DLQ, p)
                 for p in sorted(consumer.partitions_for_topic(DLQ) or [])]
        self.assertTrue(parts, "dead-letter topic has partitions")
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        letters = []
        deadline = time.monotonic() + 30
        while len(letters) < len(bad) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                letters.extend(records)
        self.assertEqual(len(letters), len(bad), "dead letters")
        by_reason = {}
        for rec in letters:
            headers = {k: v.decode() for k, v in rec.headers}
            by_reason[headers["reason"]] = (rec, headers)
        self.assertEqual(sorted(by_reason), sorted(bad))
        for reason, (value, key) in bad.items():
            rec, headers = by_reason[reason]
            self.assertEqual(rec.key, key.encode(), reason)
            self.assertEqual(rec.value, value, reason)
            self.assertEqual(headers["source_topic"], TOPIC)
            self.assertEqual(int(headers["source_partition"]),
                             bad_meta[reason].partition)
            self.assertEqual(int(headers["source_offset"]),
                             bad_meta[reason].offset)
            self.assertIn("detail", headers)
            self.assertNotIn("secret", headers["detail"])


if __name__ == "__main__":
    unittest.main()
