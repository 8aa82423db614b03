"""Integration (issue 3, acceptance 3 and 4): outcomes-simulate with a fixed
seed -> outcomes-broker (real Kafka protocol over TCP) -> outcomesd, and every
figure of docs/metrics.md on /metrics and the JSON API checked against
reference.py, a deliberately simple recomputation from the simulator's own
--out file (plus a few hand-made edge-case events produced with kcat).

- test_figures_default_flags / test_figures_other_settings: every exported
  series of the §4 families equals the reference, and every reference figure
  is exported (absent rates and suppressed groups absent in both); the JSON
  API agrees too, numerators and denominators exactly.
- test_revocation_moves_series_to_new_owner: a second member of the group
  takes partitions; the first stops exporting their providers, the second
  rebuilds them by replaying the topic and exports the reference values.
- test_figures_as_of_past_days: /api/v1/providers/{id}?as_of= for several
  past days against the reference computed as of each day.
- test_empty_attribute_value_means_no_group: FUNNEL_RULES rule 15, on a
  topic of its own.
- test_no_client_key_in_any_output: no client key in /metrics, any API
  answer or the daemon's log.

Runs in about a minute; every wait polls with a deadline.
"""
import datetime
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from zoneinfo import ZoneInfo

import reference as ref
from harness import (make_broker, Daemon, binary, kcat_produce_files, metric_sum,
                     to_json, wait_until)

TOPIC = "outcomes.events"
EMPTY_TOPIC = "outcomes.events.empty-attributes"
PARTITIONS = 8
SEED = 20260
PROVIDERS = 20
DAYS = 100

# The defaults of docs/configuration.md (the first daemon gets no flags).
DEFAULT = ref.Settings()
# Every setting changed: shorter horizon (the simulator's older events are
# then too_old), other M, windows and min_cell, a second dimension that only
# the edge-case events carry, and a time zone whose midnight (11:00 UTC in
# southern summer, 12:00 in winter) falls inside the simulator's business
# hours.
OTHER = ref.Settings(windows=(7, 30), enroll_within=10, horizon=60,
                     min_cell=5, dimensions=("race_ethnicity", "language"),
                     timezone="Pacific/Auckland")

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def figure_samples(text):
    """{(name, sorted label pairs): value} of the §4 families in /metrics."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"unparsable metrics line: {line!r}"
        name, labels, value = m.groups()
        if name not in ref.FAMILIES:
            continue
        pairs = tuple(sorted(_LABEL.findall(labels or "")))
        key = (name, pairs)
        assert key not in out, f"series exported twice: {line}"
        out[key] = float(value)
    return out


def key_partitions(bootstrap, topic):
    """(key, partition) of every message of `topic` (payloads not read:
    binary values would need an envelope)."""
    out = subprocess.run(
        ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
         "-q", "-f", "%k %p\\n"], check=True, capture_output=True,
        timeout=60).stdout.decode()
    return [(k, int(p)) for k, p in
            (line.split(" ") for line in out.split("\n") if line)]


def placement(bootstrap, topic, count):
    """{provider: (topic, partition)} straight from Kafka, checking that
    every provider (the message key) is in exactly one partition."""
    parts = {}
    keys = key_partitions(bootstrap, topic)
    assert len(keys) == count, f"{topic}: {len(keys)} messages, not {count}"
    for key, partition in keys:
        parts.setdefault(key, set()).add(partition)
    for provider, found in parts.items():
        assert len(found) == 1, f"{provider} in partitions {found}"
    return {p: (topic, next(iter(found))) for p, found in parts.items()}


def empty_attribute_events(now):
    """Rule 15: "A missing or empty value means no group: such events count
    in the overall rates only." Referrals 20 days old (matured), some with
    an empty race_ethnicity, half of each kind enrolled; completions and
    disenrollments likewise."""
    out = []
    for i in range(24):
        attrs = {"race_ethnicity": "" if i % 2 else "white"}
        client = f"c-{0xe0e0e0e0e0e00000 + i:016x}"
        base = {"provider_id": "prov-empty", "program_id": "workforce",
                "client_key": client, "attributes": attrs}
        out.append(dict(base, event_id=f"empty-{i}-r", type="referral",
                        occurred_at=int(now - 20 * 86400)))
        if i % 4 < 2:
            out.append(dict(base, event_id=f"empty-{i}-e", type="enrollment",
                            occurred_at=int(now - 18 * 86400)))
        out.append(dict(base, event_id=f"empty-{i}-x",
                        type="completion" if i % 3 else "disenrollment",
                        occurred_at=int(now - 2 * 86400)))
    return out


def provider_of(key):
    return dict(key[1])["provider"]


def edge_events(now, sim_events):
    """Hand-made events (proto3 JSON dicts as harness.to_json takes them)
    for what the simulator never does: repeat referrals, enrollments before
    or without a referral, duplicate enrollments, missing attributes and a
    second dimension, attributes differing between a client's events, a
    provider with three programs (one with every rate absent), a client key
    shared across providers, day and horizon edges. Seeded, produced in
    shuffled order. (Empty attribute values: empty_attribute_events.)"""
    rng = random.Random(SEED)
    utc_today = datetime.datetime.fromtimestamp(
        now, datetime.timezone.utc).date()

    def utc_at(age, hh=12, mm=0, ss=0):
        d = utc_today - datetime.timedelta(days=age)
        return int(datetime.datetime(d.year, d.month, d.day, hh, mm, ss,
                                     tzinfo=datetime.timezone.utc).timestamp())

    out = []

    def add(type_, occurred, provider, program, client, **extra):
        assert occurred <= now - 60, "edge events must not be in the future"
        ev = {"event_id": f"edge-{SEED}-{len(out)}", "type": type_,
              "occurred_at": occurred, "provider_id": provider,
              "program_id": program, "client_key": client}
        ev.update(extra)
        out.append(ev)

    def client():
        return "c-" + "".join(rng.choice("0123456789abcdef") for _ in range(16))

    races = ["black", "white", "hispanic", None]
    languages = ["en", "es", "vi", None]
    priorities = [[], [], ["disability"], ["justice_involved", "limited_english"]]
    for program in ("workforce", "behavioral-health"):
        for _ in range(40):
            key = client()
            attrs = {}
            for dim, values in (("race_ethnicity", races),
                                ("language", languages)):
                v = rng.choice(values)
                if v is not None:
                    attrs[dim] = v
            base_age = rng.uniform(0, 112)
            for _ in range(rng.randint(1, 6)):
                type_ = rng.choice(["referral", "referral", "enrollment",
                                    "enrollment", "completion",
                                    "disenrollment", "outcome"])
                age = min(max(base_age + rng.uniform(-20, 20), 0), 118)
                occurred = min(int(now - age * 86400), int(now) - 3600)
                # Some events carry their own, different attributes.
                own = attrs if rng.random() < 0.8 else {
                    "race_ethnicity": rng.choice(races[:3])}
                add(type_, occurred, "prov-edge", program, key,
                    priority_groups=rng.choice(priorities), attributes=own)
    # Day and horizon edges (days are UTC days here; in other time zones
    # the same instants fall on other days, which the reference follows).
    k = client()
    for age in (0, 1, 14, 15, 16, 59, 60, 61, 104, 105, 119, 120):
        occurred = utc_at(age, 12 if age else 0)
        if occurred <= now - 3600:
            add("referral", occurred, "prov-edge", "workforce", k,
                attributes={"race_ethnicity": "white"})
    for age, hh, mm, ss in ((1, 0, 0, 0), (2, 23, 59, 59), (3, 11, 0, 0),
                            (4, 10, 59, 59), (5, 12, 0, 0), (6, 11, 59, 59)):
        add("enrollment", utc_at(age, hh, mm, ss), "prov-edge", "workforce", k)
    # A third program with no matured referral, no completion or
    # disenrollment and no enrollment: its rates and quantiles are absent.
    add("referral", utc_at(2), "prov-edge", "program-3", client(),
        priority_groups=["disability"])
    add("outcome", utc_at(3), "prov-edge", "program-3", client())
    # Too old for every configuration (and so never deduplicated against).
    for age in (121, 130, 200):
        add("referral", utc_at(age), "prov-edge", "workforce", client())
    # A client referred at a simulated provider, enrolled at prov-edge:
    # unrelated funnels (rule 3).
    recent = [e for e in sim_events
              if now - e.seconds < 40 * 86400 and e.type == "referral"]
    for e in recent[:5]:
        add("enrollment", e.seconds + 3600, "prov-edge", e.program, e.client)
    rng.shuffle(out)
    return out


class FiguresTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="figures-")
        cls.broker = make_broker(partitions=PARTITIONS)
        try:
            cls._produce()
        except BaseException:
            cls.broker.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def _produce(cls):
        bootstrap = cls.broker.bootstrap
        sim_file = os.path.join(cls.tmp, "sim.jsonl")
        sim = subprocess.run(
            [binary("outcomes-simulate"), f"--brokers={bootstrap}",
             f"--out={sim_file}", f"--seed={SEED}", f"--providers={PROVIDERS}",
             "--programs=2", f"--days={DAYS}", "--rate=0"],
            capture_output=True, timeout=120)
        assert sim.returncode == 0, sim.stderr.decode()
        with open(sim_file) as f:
            lines = [line for line in f if line.strip()]
        sim_events = [ref.event_from_json(json.loads(line)) for line in lines]
        now = time.time()

        edges = edge_events(now, sim_events)
        extra = [ref.event_from_json(json.loads(to_json(ev))) for ev in edges]
        # Exact re-sends of simulated events (duplicates: ignored), and
        # copies with new ids (two events that say the same thing: counted).
        recent = [(e, line) for e, line in zip(sim_events, lines)
                  if now - e.seconds < 40 * 86400]
        rng = random.Random(SEED)
        resent = rng.sample(recent, 10)
        copies = [(e, line) for e, line in rng.sample(recent, 40)
                  if e.type == "enrollment"][:5]
        by_key = {}
        for ev, e in zip(edges, extra):
            by_key.setdefault(e.provider, []).append(to_json(ev))
        for e, line in resent:
            by_key.setdefault(e.provider, []).append(line.strip().encode())
            extra.append(e)
        for i, (e, line) in enumerate(copies):
            obj = json.loads(line)
            obj["eventId"] = f"copy-{SEED}-{i}"
            by_key.setdefault(e.provider, []).append(json.dumps(obj).encode())
            extra.append(ref.event_from_json(obj))
        for key, values in sorted(by_key.items()):
            kcat_produce_files(bootstrap, TOPIC, key, values)
        cls.events = sim_events + extra

        # Where each provider's events are, straight from Kafka: every
        # provider (the message key) in exactly one partition.
        cls.partition_of = placement(bootstrap, TOPIC, len(cls.events))

        # Rule 15's empty attribute value, on a topic of its own.
        cls.empty_events = [ref.event_from_json(json.loads(to_json(ev)))
                            for ev in empty_attribute_events(now)]
        kcat_produce_files(bootstrap, EMPTY_TOPIC, "prov-empty",
                           [to_json(ev) for ev in empty_attribute_events(now)])
        cls.empty_partition_of = placement(bootstrap, EMPTY_TOPIC,
                                           len(cls.empty_events))

        cls.client_keys = {e.client for e in cls.events + cls.empty_events}
        for k in cls.client_keys:
            assert re.fullmatch(r"c-[0-9a-f]{16}", k), k

    # ---- helpers -----------------------------------------------------------

    def start_daemon(self, *flags, group, name):
        d = Daemon(self.broker.bootstrap, *flags, group=group, name=name)
        self.addCleanup(d.close)
        return d

    def wait_for_counts(self, d, settings, events=None, timeout=60):
        """Ingest counted exactly what the reference says (docs/design.md, "From event to figure")."""
        events = self.events if events is None else events
        first_day = self.agency_today(settings)
        messages = len(events)

        def handled():
            m = d.metrics()
            return (metric_sum(m, "outcomes_events_total")
                    + metric_sum(m, "outcomes_events_rejected_total")
                    + m.get("outcomes_events_duplicate_total", 0)) >= messages
        wait_until(d.ready, timeout, f"{d.name} ready")
        try:
            wait_until(handled, timeout, f"{d.name} to handle every message")
        finally:
            got = d.metrics()
            # too_old depends on the agency day of ingest: accept either
            # day's counts should midnight pass meanwhile.
            for today in sorted({first_day, self.agency_today(settings)}):
                accepted, duplicates, too_old = ref.expected_counts(
                    events, today, settings)
                want = {f'outcomes_events_total{{type="{t}"}}': n
                        for t, n in accepted.items()}
                want["outcomes_events_duplicate_total"] = duplicates
                want['outcomes_events_rejected_total{reason="too_old"}'] = \
                    too_old
                problems = [f"{k}: got {got.get(k)}, reference {v}"
                            for k, v in want.items() if got.get(k) != v]
                if not problems:
                    break
            problems += [f"{k} = {v}" for k, v in got.items()
                         if k.startswith("outcomes_events_rejected_total")
                         and v and "too_old" not in k]
            if problems:
                self.fail(f"{d.name} counted differently:\n"
                          + "\n".join(problems) + "\nlog tail:\n"
                          + d.log_text()[-2000:])

    def agency_today(self, settings):
        return datetime.datetime.now(ZoneInfo(settings.timezone)).date()

    def settled(self, d, extra=lambda: None, timeout=40, hold=2.5):
        """The §4 series once they (and `extra()`) stayed the same for
        `hold` seconds: with --eval.interval=1s, an evaluation that started
        after the first poll has then been exported."""
        state = {}

        def check():
            text = d.get("/metrics")[1]
            now = time.monotonic()
            sample = (figure_samples(text), extra())
            if state.get("sample") != sample:
                state.update(sample=sample, since=now)
                return None
            return sample if now - state["since"] >= hold else None
        return wait_until(check, timeout, f"{d.name} figures to settle",
                          interval=0.25)

    def snapshot(self, d, settings):
        """(agency day, §4 series, /api/v1/providers, {id: detail}), all
        from one agency day."""
        for _ in range(3):
            before = d.json("/api/v1/providers")
            figures, _ = self.settled(d)
            listing = d.json("/api/v1/providers")
            details = {p["provider"]: d.json(
                f"/api/v1/providers/{p['provider']}")
                for p in listing["providers"]}
            if before["day"] == listing["day"] and all(
                    x["day"] == listing["day"] for x in details.values()):
                day = datetime.date.fromisoformat(listing["day"])
                self.assertIn(day, {self.agency_today(settings),
                                    self.agency_today(settings)
                                    - datetime.timedelta(days=1)},
                              "API day is not today in --timezone")
                return day, figures, listing, details
        self.fail("agency day kept changing")

    def assert_series_equal(self, got, want, who):
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        wrong = sorted((k, want[k], got[k]) for k in set(want) & set(got)
                       if not ref.isclose(got[k], want[k]))
        report = [f"{who}: {len(missing)} missing, {len(extra)} unexpected, "
                  f"{len(wrong)} wrong of {len(want)} expected series"]
        report += [f"  missing {k} (reference {want[k]})" for k in missing[:15]]
        report += [f"  unexpected {k} = {got[k]}" for k in extra[:15]]
        report += [f"  wrong {k}: reference {w}, got {g}"
                   for k, w, g in wrong[:25]]
        if missing or extra or wrong:
            self.fail("\n".join(report))

    def assert_json_equal(self, got, want, path, problems):
        if isinstance(want, dict):
            if not isinstance(got, dict) or set(got) != set(want):
                problems.append(f"{path}: keys {sorted(got) if isinstance(got, dict) else got!r}"
                                f" != {sorted(want)}")
                return
            for k in want:
                self.assert_json_equal(got[k], want[k], f"{path}.{k}", problems)
        elif isinstance(want, float):
            if not isinstance(got, (int, float)) or isinstance(got, bool) \
                    or not ref.isclose(got, want):
                problems.append(f"{path}: got {got!r}, reference {want!r}")
        elif type(got) is not type(want) or got != want:
            problems.append(f"{path}: got {got!r}, reference {want!r}")

    def check_api(self, listing, details, figures, settings, providers, who,
                  partition_of=None):
        """/api/v1/providers and /api/v1/providers/{id} of `providers`."""
        partition_of = partition_of or self.partition_of
        problems = []
        want_list = ref.provider_list_json(figures, settings, partition_of)
        got_list = {}
        for p in listing["providers"]:
            self.assertNotIn(p["provider"], got_list, "listed twice")
            programs = {}
            for prog in p["programs"]:
                self.assertNotIn(prog["program"], programs, "program twice")
                programs[prog["program"]] = prog
            got_list[p["provider"]] = dict(p, programs=programs)
        self.assertEqual(sorted(got_list), sorted(providers),
                         f"{who}: providers listed")
        for provider in providers:
            want = dict(want_list[provider], programs={
                x["program"]: x for x in want_list[provider]["programs"]})
            self.assert_json_equal(got_list[provider], want,
                                   f"{who} /api/v1/providers[{provider}]",
                                   problems)

        for provider in providers:
            want = ref.provider_detail_json(figures, settings, provider,
                                            partition_of)
            got = details[provider]
            self.assertEqual(got["provider"], provider)
            programs = {}
            for prog in got["programs"]:
                windows = {}
                for w in prog["windows"]:
                    groups = {}
                    for g in w["groups"]:
                        k = (g["metric"], g["dimension"], g["group"])
                        self.assertNotIn(k, groups, "group listed twice")
                        groups[k] = g
                    self.assertNotIn(w["window"], windows)
                    windows[w["window"]] = dict(w, groups=groups)
                self.assertNotIn(prog["program"], programs)
                programs[prog["program"]] = dict(prog, windows=windows)
            self.assert_json_equal(programs, want,
                                   f"{who} /api/v1/providers/{provider}",
                                   problems)
        if problems:
            self.fail(f"{who}: {len(problems)} API differences:\n"
                      + "\n".join(problems[:40]))

    def assert_no_client_keys(self, text, where):
        """No client key (nor its 16 hex digits alone) in `text`."""
        hex_parts = {k[2:] for k in self.client_keys}
        found = set()
        for run in re.finditer(r"[0-9a-f]{16,}", text):
            s = run.group(0)
            for i in range(len(s) - 15):
                if s[i:i + 16] in hex_parts:
                    found.add("c-" + s[i:i + 16])
        self.assertFalse(found, f"client keys in {where}: {sorted(found)[:5]}")

    def check_figures(self, settings, flags, group, topic=TOPIC):
        events, partition_of = ((self.events, self.partition_of)
                                if topic == TOPIC else
                                (self.empty_events, self.empty_partition_of))
        d = self.start_daemon(*flags, f"--kafka.topics={topic}", group=group,
                              name=group)
        self.wait_for_counts(d, settings, events)
        today, got, listing, details = self.snapshot(d, settings)
        figures = ref.compute(events, today, settings)
        want = ref.metric_samples(figures)
        providers = sorted({p for p, _ in figures})
        self.assertEqual(providers, sorted(partition_of))
        self.assert_series_equal(got, want, f"{group} /metrics")
        self.check_api(listing, details, figures, settings, providers, group,
                       partition_of)
        self.assertEqual(d.get("/api/v1/providers/prov-none")[0], 404)
        return figures, want

    # ---- tests -------------------------------------------------------------

    def test_figures_default_flags(self):
        figures, want = self.check_figures(DEFAULT, [], "figures-default")
        self.assertEqual(len(figures), PROVIDERS + 3)  # prov-edge: 3 programs
        # The run exercised what it claims to: absent rates, suppressed
        # groups (rule 17.1 and 17.2), quantiles.
        groups = [g for p in figures.values() for w in p.windows.values()
                  for g in w.groups]
        self.assertTrue(any(g.suppressed and g.rate.denominator >= 11
                            for g in groups), "no complementary suppression")
        self.assertTrue(any(g.suppressed and g.rate.denominator < 11
                            for g in groups))
        absent = {("prov-edge", "program-3", n) for n in (7, 30, 90)}
        for provider, program, n in absent:
            w = figures[(provider, program)].windows[n]
            self.assertEqual((w.enrollment_rate.denominator,
                              w.completion_rate.denominator, w.p50,
                              w.priority_share["enrollment"].denominator),
                             (0, 0, None, 0))

    def test_figures_as_of_past_days(self):
        """?as_of=D (docs/design.md, "Brief, payments and backtest") equals the reference computed as of D from
        the events the daemon accepted (day within the horizon of today);
        figures reading days before today's horizon say complete: false."""
        d = self.start_daemon(group="figures-as-of", name="figures-as-of")
        self.wait_for_counts(d, DEFAULT)
        today, _, listing, _ = self.snapshot(d, DEFAULT)
        h, m = DEFAULT.horizon, DEFAULT.enroll_within
        kept_from = today - datetime.timedelta(days=h - 1)
        accepted = [e for e in self.events
                    if ref.day_of(e.seconds, DEFAULT.timezone) >= kept_from]
        checked = 0
        for back in (0, 1, 9, 30, 61):
            day = today - datetime.timedelta(days=back)
            figures = ref.compute(accepted, day, DEFAULT)
            providers = sorted({p for p, _ in figures})
            self.assertTrue(providers)
            problems = []
            for provider in providers:
                got = d.json(f"/api/v1/providers/{provider}?as_of={day}")
                self.assertEqual((got["as_of"], got["day"]),
                                 (str(day), str(day)))
                want = ref.provider_detail_json(figures, DEFAULT, provider,
                                                self.partition_of)
                programs = {}
                for prog in got["programs"]:
                    complete = day == today
                    self.assertEqual(prog["history_complete"], complete)
                    if not complete:  # stalled_*: the horizon of `day`
                        for k in ("stalled_referrals",
                                  "stalled_priority_referrals"):
                            prog[k] = want[prog["program"]][k]
                        prog["history_complete"] = True
                    windows = {}
                    for w in prog["windows"]:
                        n = int(w["window"][:-1])
                        first = day - datetime.timedelta(days=m + n)
                        self.assertEqual(w["complete"], first >= kept_from,
                                         (provider, day, n))
                        if not w["complete"]:
                            continue
                        w["groups"] = {(g["metric"], g["dimension"],
                                        g["group"]): g for g in w["groups"]}
                        windows[w["window"]] = w
                    programs[prog["program"]] = dict(prog, windows=windows)
                for prog in want.values():
                    prog["windows"] = {k: w for k, w in prog["windows"].items()
                                       if k in programs.get(prog["program"], {})
                                       .get("windows", {})}
                self.assert_json_equal(programs, want,
                                       f"{provider} as of {day}", problems)
                checked += sum(len(p["windows"]) for p in want.values())
            if problems:
                self.fail(f"as of {day}: {len(problems)} differences:\n"
                          + "\n".join(problems[:30]))
        self.assertGreater(checked, 100)
        bad = d.get(f"/api/v1/providers/{listing['providers'][0]['provider']}"
                    f"?as_of={kept_from - datetime.timedelta(days=1)}")
        self.assertEqual(bad[0], 400)
        self.assertIn("outside the horizon", json.loads(bad[1])["error"])

    def test_empty_attribute_value_means_no_group(self):
        figures, want = self.check_figures(DEFAULT, [], "figures-empty",
                                           topic=EMPTY_TOPIC)
        w = figures[("prov-empty", "workforce")].windows[30]
        self.assertEqual(w.enrollment_rate.denominator, 24)
        self.assertEqual([(g.group, g.rate.denominator) for g in w.groups
                          if g.metric == "enrollment_rate"], [("white", 12)])

    def test_figures_other_settings(self):
        figures, _ = self.check_figures(OTHER, OTHER.flags(), "figures-other")
        groups = [g for p in figures.values() for w in p.windows.values()
                  for g in w.groups]
        self.assertTrue(any(g.dimension == "language" and not g.suppressed
                            for g in groups))
        self.assertTrue(any(g.suppressed and g.rate.denominator >= 5
                            for g in groups), "no complementary suppression")

    def test_revocation_moves_series_to_new_owner(self):
        group = "figures-revocation"
        a = self.start_daemon(group=group, name="rev-a")
        self.wait_for_counts(a, DEFAULT)
        self.settled(a)
        self.assertEqual(a.metrics()["outcomes_kafka_assigned_partitions"],
                         PARTITIONS)
        everyone = {p for p, _ in self.partition_of.items()}
        self.assertEqual({p["provider"] for p in
                          a.json("/api/v1/providers")["providers"]}, everyone)

        b = self.start_daemon(group=group, name="rev-b")

        def split():
            ma, mb = a.metrics(), b.metrics()
            na = ma.get("outcomes_kafka_assigned_partitions", 0)
            nb = mb.get("outcomes_kafka_assigned_partitions", 0)
            return 0 < na < PARTITIONS and nb > 0 and na + nb == PARTITIONS
        wait_until(split, 60, "the group to split the partitions")

        def owned(d):
            return {(p["provider"], p["topic"], p["partition"])
                    for p in d.json("/api/v1/providers")["providers"]}

        def b_rebuilt():
            # B holds every accepted event of its providers, replayed (counted
            # by A already) or consumed after A's last commit.
            mb = b.metrics()
            mine = {p for p, _, _ in owned(b)}
            want = sum(ref.expected_counts(
                [e for e in self.events if e.provider in mine],
                self.agency_today(DEFAULT), DEFAULT)[0].values())
            return (mine and b.ready() and
                    mb.get("outcomes_events_replayed_total", 0)
                    + metric_sum(mb, "outcomes_events_total") == want)
        wait_until(b_rebuilt, 60, "rev-b to rebuild its partitions")
        self.assertGreater(b.metrics()["outcomes_events_replayed_total"], 0)

        def ownership():
            return (a.metrics()["outcomes_kafka_assigned_partitions"],
                    b.metrics()["outcomes_kafka_assigned_partitions"],
                    owned(a), owned(b))
        got_a, own_a = self.settled(a, extra=ownership)
        got_b, own_b = self.settled(b, extra=ownership)
        self.assertEqual(own_a, own_b, "ownership changed while settling")
        _, _, listed_a, listed_b = own_a

        # Each provider is listed by exactly one member, under the partition
        # Kafka holds it in, and exported only there.
        for provider, topic, partition in listed_a | listed_b:
            self.assertEqual((topic, partition), self.partition_of[provider])
        prov_a = {p for p, _, _ in listed_a}
        prov_b = {p for p, _, _ in listed_b}
        self.assertFalse(prov_a & prov_b, "a provider listed by both")
        self.assertEqual(prov_a | prov_b, everyone)
        self.assertTrue(prov_b, "no provider moved to the new member")
        self.assertEqual({provider_of(k) for k in got_a}, prov_a,
                         "rev-a exports series of providers it lost")
        self.assertEqual({provider_of(k) for k in got_b}, prov_b)

        for who, d, got, mine in (("rev-a", a, got_a, prov_a),
                                  ("rev-b", b, got_b, prov_b)):
            today, _, listing, details = self.snapshot(d, DEFAULT)
            figures = ref.compute(self.events, today, DEFAULT)
            want = ref.metric_samples(figures)
            self.assert_series_equal(
                got, {k: v for k, v in want.items() if provider_of(k) in mine},
                f"{who} /metrics after the rebalance")
            self.check_api(listing, details, figures, DEFAULT, sorted(mine),
                           who)
        for provider in prov_b:
            self.assertEqual(a.get(f"/api/v1/providers/{provider}")[0], 404,
                             f"rev-a still answers for {provider}")

    def test_no_client_key_in_any_output(self):
        d = self.start_daemon(*OTHER.flags(), group="figures-privacy",
                              name="privacy")
        self.wait_for_counts(d, OTHER)
        self.settled(d)
        outputs = {}
        for path in ("/metrics", "/healthz", "/readyz", "/api/v1/providers",
                     "/api/v1/alerts", "/api/v1/rules", "/api/v1/providers/x"):
            outputs[path] = d.get(path)[1]
        providers = [p["provider"] for p in
                     json.loads(outputs["/api/v1/providers"])["providers"]]
        self.assertEqual(len(providers), PROVIDERS + 1)
        for p in providers:
            outputs[f"/api/v1/providers/{p}"] = d.get(
                f"/api/v1/providers/{p}")[1]
        self.assertEqual(d.terminate(), 0)
        outputs["log"] = d.log_text()
        self.assertIn("stopped", outputs["log"])
        for where, text in outputs.items():
            self.assert_no_client_keys(text, where)
        # The scan itself finds a key where there is one.
        with self.assertRaises(AssertionError):
            self.assert_no_client_keys(
                "x" + next(iter(self.client_keys))[2:] + "0", "self-check")


if __name__ == "__main__":
    unittest.main()
