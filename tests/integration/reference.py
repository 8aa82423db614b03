"""A deliberately simple reference for the figures of docs/metrics.md.

Every figure is recomputed from the full event list with plain loops, word
by word from docs/metrics.md ("Exact definitions") and
daemon/state/FUNNEL_RULES.md (the numbered rules are cited below). It shares
no code or data structure with the daemon: no day rings, no funnel table, no
histograms. Clarity over speed.

    events = load_jsonl("sim.jsonl")            # outcomes-simulate --out
    settings = Settings(windows=(7, 30, 90))
    figures = compute(events, today, settings)  # today: datetime.date
    samples = metric_samples(figures)           # {(name, labels): value}
"""
import dataclasses
import datetime
import json
import math
import re
from zoneinfo import ZoneInfo

TYPES = ("referral", "enrollment", "completion", "disenrollment", "outcome")

# The proto3 JSON enum names of the event types.
_TYPE_NAMES = {"EVENT_TYPE_" + t.upper(): t for t in TYPES}
_TYPE_NUMBERS = {i + 1: t for i, t in enumerate(TYPES)}

_RFC3339 = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?"
    r"([Zz]|[+-]\d\d:\d\d)$")


@dataclasses.dataclass(frozen=True)
class Event:
    event_id: str
    type: str             # one of TYPES
    seconds: int          # occurred_at, whole seconds since the epoch (UTC)
    provider: str
    program: str
    client: str
    priority: bool        # own priority_groups is non-empty
    attributes: tuple     # sorted (key, value) pairs


@dataclasses.dataclass(frozen=True)
class Settings:
    windows: tuple = (7, 30, 90)          # --windows, in days
    enroll_within: int = 14               # --enroll_within (M)
    horizon: int = 120                    # --horizon (H)
    min_cell: int = 11                    # --min_cell
    dimensions: tuple = ("race_ethnicity",)  # --dimensions
    timezone: str = "UTC"                 # --timezone
    max_groups: int = 32                  # --max_groups

    def flags(self):
        """The outcomesd flags that configure the same settings."""
        return [f"--windows={','.join(f'{n}d' for n in self.windows)}",
                f"--enroll_within={self.enroll_within}",
                f"--horizon={self.horizon}", f"--min_cell={self.min_cell}",
                f"--dimensions={','.join(self.dimensions)}",
                f"--timezone={self.timezone}",
                f"--max_groups={self.max_groups}"]

    def headline_window(self):
        """FUNNEL_RULES §9: 30d when configured, else the first window."""
        return 30 if 30 in self.windows else self.windows[0]


def parse_rfc3339(text):
    """Whole seconds since the epoch of an RFC 3339 timestamp."""
    m = _RFC3339.match(text)
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    zone = m.group(8)
    if zone in ("Z", "z"):
        offset = 0
    else:
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    naive = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone.utc)
    # The fraction never moves a day boundary: zone offsets are whole seconds.
    return int(naive.timestamp()) - offset


def event_from_json(obj):
    """An Event from proto3 JSON (camelCase, as outcomes-simulate writes it;
    original snake_case names are accepted too, as proto3 parsers do)."""
    def get(camel, snake, default=None):
        if camel in obj:
            return obj[camel]
        return obj.get(snake, default)

    type_ = obj["type"]
    type_ = _TYPE_NAMES[type_] if isinstance(type_, str) else _TYPE_NUMBERS[type_]
    occurred = get("occurredAt", "occurred_at")
    seconds = (parse_rfc3339(occurred) if isinstance(occurred, str)
               else int(occurred))
    return Event(
        event_id=get("eventId", "event_id"), type=type_, seconds=seconds,
        provider=get("providerId", "provider_id"),
        program=get("programId", "program_id"),
        client=get("clientKey", "client_key"),
        priority=bool(get("priorityGroups", "priority_groups", [])),
        attributes=tuple(sorted((get("attributes", "attributes") or {}).items())))


def load_jsonl(path):
    with open(path) as f:
        return [event_from_json(json.loads(line)) for line in f if line.strip()]


def day_of(seconds, timezone):
    """FUNNEL_RULES terms: the calendar day of occurred_at in --timezone."""
    return datetime.datetime.fromtimestamp(seconds, ZoneInfo(timezone)).date()


def dedupe(events):
    """Rule 1: an event_id seen before is ignored (first one wins)."""
    seen, out = set(), []
    for e in events:
        if e.event_id not in seen:
            seen.add(e.event_id)
            out.append(e)
    return out


@dataclasses.dataclass
class Rate:
    numerator: int
    denominator: int

    def value(self):
        """Rule 18: a rate whose denominator is 0 is absent (None)."""
        if self.denominator == 0:
            return None
        return self.numerator / self.denominator


@dataclasses.dataclass
class Group:
    metric: str
    dimension: str
    group: str
    rate: Rate
    suppressed: bool = False


@dataclasses.dataclass
class WindowFigures:
    days: int
    events: dict            # type -> count
    enrollment_rate: Rate
    completion_rate: Rate
    days_to_enroll: list    # the values, sorted
    p50: object             # int or None
    p90: object
    priority_share: dict    # stage -> Rate
    groups: list            # [Group], suppressed ones included


@dataclasses.dataclass
class ProgramFigures:
    provider: str
    program: str
    stalled_referrals: int
    stalled_priority_referrals: int
    windows: dict           # days -> WindowFigures


def nearest_rank(values, num, den):
    """Rule 8: sort the values, take the one at position ceil(q*n), 1-based,
    q = num/den (exact integer arithmetic, no float rounding)."""
    if not values:
        return None
    ordered = sorted(values)
    position = max(1, -(-num * len(ordered) // den))
    return ordered[position - 1]


def suppress(groups, min_cell):
    """Rule 17, for the groups of one provider, program, window, metric and
    dimension (every group listed has a denominator > 0)."""
    for g in groups:
        if g.rate.denominator < min_cell:                       # 17.1
            g.suppressed = True
    hidden = [g for g in groups if g.suppressed]
    shown = [g for g in groups if not g.suppressed]
    if hidden and shown and sum(g.rate.denominator for g in hidden) < min_cell:
        smallest = min(shown, key=lambda g: (g.rate.denominator, g.group))
        smallest.suppressed = True                              # 17.2


def compute(all_events, today, settings):
    """{(provider, program): ProgramFigures} as of agency day `today`."""
    s = settings
    m = s.enroll_within

    unique = dedupe(all_events)
    days = {e.event_id: day_of(e.seconds, s.timezone) for e in unique}

    def day(e):
        return days[e.event_id]

    def age(e):
        return (today - day(e)).days

    # Rules 1 and 2: each event once; only events of age 0 .. H-1 exist (an
    # event dated after today is not counted yet).
    events = [e for e in unique if 0 <= age(e) <= s.horizon - 1]

    # Rule 15: at most max_groups distinct values per dimension become
    # groups. Which ones depends on arrival order per partition; this
    # reference only supports event lists that stay below the cap.
    for dim in s.dimensions:
        values = {dict(e.attributes).get(dim, "") for e in events} - {""}
        if len(values) > s.max_groups:
            raise ValueError(f"{len(values)} values of {dim}: above the cap, "
                             "which this reference does not model")

    def group_of(e, dim):
        """Rule 15: a missing or empty value means no group (None)."""
        return dict(e.attributes).get(dim) or None

    out = {}
    for provider, program in sorted({(e.provider, e.program) for e in events}):
        # Rule 3: funnels never cross providers or programs.
        mine = [e for e in events
                if e.provider == provider and e.program == program]
        referrals = [e for e in mine if e.type == "referral"]
        # Each client's referrals and enrollments here (lookup speed only).
        referrals_of, enrollments_of = {}, {}
        for e in mine:
            if e.type == "referral":
                referrals_of.setdefault(e.client, []).append(e)
            elif e.type == "enrollment":
                enrollments_of.setdefault(e.client, []).append(e)

        def enrolled_in_time(r):
            """Rule 4: an enrollment of the same client whose day is on or
            after the referral's day and at most M days after it."""
            return any(day(r) <= day(e) <= day(r) + datetime.timedelta(days=m)
                       for e in enrollments_of.get(r.client, []))

        def enrolled_at_all(r):
            """Rule 6: any enrollment of the client within the horizon."""
            return bool(enrollments_of.get(r.client))

        # Rule 6: matured referrals of age M+1 .. H-1 with no enrollment.
        stalled = [r for r in referrals
                   if m + 1 <= age(r) <= s.horizon - 1
                   and not enrolled_at_all(r)]

        windows = {}
        for n in s.windows:
            in_window = [e for e in mine if 0 <= age(e) <= n - 1]
            counts = {t: sum(1 for e in in_window if e.type == t)
                      for t in TYPES}

            # Rule 5: matured referrals of age M+1 .. M+N.
            cohort = [r for r in referrals if m + 1 <= age(r) <= m + n]
            enrollment_rate = Rate(
                sum(1 for r in cohort if enrolled_in_time(r)), len(cohort))

            # Rule 12: event-based, age 0 .. N-1.
            completion_rate = Rate(
                counts["completion"],
                counts["completion"] + counts["disenrollment"])

            # Rule 8: each enrollment of age 0 .. N-1 paired with the most
            # recent referral of the same client on or before its day.
            values = []
            for e in in_window:
                if e.type != "enrollment":
                    continue
                before = [day(r) for r in referrals_of.get(e.client, [])
                          if day(r) <= day(e)]
                if before:
                    values.append((day(e) - max(before)).days)

            # Rule 14: the stage's events of age 0 .. N-1, own priority flag.
            priority_share = {
                stage: Rate(sum(1 for e in in_window
                                if e.type == stage and e.priority),
                            counts[stage])
                for stage in ("referral", "enrollment")}

            # Rules 16 and 17: per dimension and group.
            groups = []
            for dim in s.dimensions:
                for metric, cases, hit in (
                        ("enrollment_rate", cohort, enrolled_in_time),
                        ("completion_rate",
                         [e for e in in_window
                          if e.type in ("completion", "disenrollment")],
                         lambda e: e.type == "completion")):
                    names = sorted({group_of(e, dim) for e in cases} - {None})
                    cell = []
                    for name in names:
                        members = [e for e in cases if group_of(e, dim) == name]
                        cell.append(Group(metric, dim, name, Rate(
                            sum(1 for e in members if hit(e)), len(members))))
                    suppress(cell, s.min_cell)
                    groups.extend(cell)

            windows[n] = WindowFigures(
                days=n, events=counts, enrollment_rate=enrollment_rate,
                completion_rate=completion_rate,
                days_to_enroll=sorted(values),
                p50=nearest_rank(values, 1, 2), p90=nearest_rank(values, 9, 10),
                priority_share=priority_share, groups=groups)

        out[(provider, program)] = ProgramFigures(
            provider=provider, program=program,
            stalled_referrals=len(stalled),
            stalled_priority_referrals=sum(1 for r in stalled if r.priority),
            windows=windows)
    return out


def labels_key(**labels):
    return tuple(sorted(labels.items()))


def metric_samples(figures):
    """{(metric name, sorted label pairs): value} of every series the §4
    families must export, absent figures left out."""
    out = {}

    def put(name, value, **labels):
        if value is not None:
            out[(name, labels_key(**labels))] = value

    for (provider, program), p in figures.items():
        base = {"provider": provider, "program": program}
        put("outcomes_stalled_referrals", p.stalled_referrals, **base)
        put("outcomes_stalled_priority_referrals",
            p.stalled_priority_referrals, **base)
        for n, w in p.windows.items():
            lw = dict(base, window=f"{n}d")
            for t in TYPES:
                put("outcomes_window_events", w.events[t], type=t, **lw)
            put("outcomes_enrollment_rate", w.enrollment_rate.value(), **lw)
            put("outcomes_completion_rate", w.completion_rate.value(), **lw)
            for pct, days in (("50", w.p50), ("90", w.p90)):
                put("outcomes_time_to_enroll_seconds",
                    None if days is None else days * 86400,
                    percentile=pct, **lw)
            for stage, rate in w.priority_share.items():
                put("outcomes_priority_share", rate.value(), stage=stage, **lw)
            for g in w.groups:
                if not g.suppressed:
                    put("outcomes_group_rate", g.rate.value(),
                        metric=g.metric, dimension=g.dimension, group=g.group,
                        **lw)
    return out


FAMILIES = ("outcomes_window_events", "outcomes_enrollment_rate",
            "outcomes_completion_rate", "outcomes_stalled_referrals",
            "outcomes_stalled_priority_referrals",
            "outcomes_time_to_enroll_seconds",
            "outcomes_priority_share", "outcomes_group_rate")


def rate_json(rate):
    """FUNNEL_RULES §9: {"value", "numerator", "denominator"}, value null
    when the denominator is 0."""
    return {"value": rate.value(), "numerator": rate.numerator,
            "denominator": rate.denominator}


def provider_list_json(figures, settings, partitions):
    """The expected /api/v1/providers "providers" entries, given each
    provider's (topic, partition) (which only Kafka knows)."""
    h = settings.headline_window()
    out = {}
    for (provider, program), p in sorted(figures.items()):
        topic, partition = partitions[provider]
        entry = out.setdefault(provider, {
            "provider": provider, "topic": topic, "partition": partition,
            "ready": True, "programs": []})
        w = p.windows[h]
        entry["programs"].append({
            "program": program, "window": f"{h}d", "complete": True,
            "referrals": w.events["referral"],
            "enrollments": w.events["enrollment"],
            "completions": w.events["completion"],
            "enrollment_rate": rate_json(w.enrollment_rate),
            "completion_rate": rate_json(w.completion_rate),
            "stalled_referrals": p.stalled_referrals})
    return out


def provider_detail_json(figures, settings, provider, partitions):
    """The expected /api/v1/providers/{id} programs, keyed by program; each
    program's windows keyed by label and groups keyed by
    (metric, dimension, group) (the API's list order is not a contract)."""
    out = {}
    topic, partition = partitions[provider]
    for (prov, program), p in sorted(figures.items()):
        if prov != provider:
            continue
        windows = {}
        for n, w in p.windows.items():
            groups = {}
            for g in w.groups:
                entry = {"metric": g.metric, "dimension": g.dimension,
                         "group": g.group, "suppressed": g.suppressed}
                if not g.suppressed:
                    entry.update(rate_json(g.rate))
                groups[(g.metric, g.dimension, g.group)] = entry
            windows[f"{n}d"] = {
                "window": f"{n}d", "complete": True,
                "events": dict(w.events),
                "enrollment_rate": rate_json(w.enrollment_rate),
                "completion_rate": rate_json(w.completion_rate),
                "days_to_enroll": {"count": len(w.days_to_enroll),
                                   "p50": w.p50, "p90": w.p90},
                "priority_share": {stage: rate_json(r) for stage, r in
                                   w.priority_share.items()},
                "groups": groups}
        out[program] = {
            "program": program, "topic": topic, "partition": partition,
            "ready": True, "history_complete": True,
            "stalled_referrals": p.stalled_referrals,
            "stalled_priority_referrals": p.stalled_priority_referrals,
            "windows": windows}
    return out


def expected_counts(all_events, today, settings):
    """(accepted events by type, duplicates, too_old) as ingest counts them
    (docs/design.md, "From event to figure"; FUNNEL_RULES rule 2), for events that all arrived on agency
    day `today` and none dated after it."""
    unique = dedupe(all_events)
    accepted = {t: 0 for t in TYPES}
    too_old = 0
    for e in unique:
        if (today - day_of(e.seconds, settings.timezone)).days >= settings.horizon:
            too_old += 1
        else:
            accepted[e.type] += 1
    return accepted, len(all_events) - len(unique), too_old


def isclose(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
