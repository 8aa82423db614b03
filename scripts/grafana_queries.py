"""What Grafana does to a dashboard's queries before Prometheus sees them,
shared by scripts/render-dashboard and tests/integration/test_dashboards.py:
panels (rows unfolded), template variables from label_values(), built-in
interval variables, and the regex Grafana makes of a multi-value variable.

`api(path, **params)` is a function returning the "data" of a successful
Prometheus /api/v1/<path> answer.
"""
import re

# Grafana's built-in interval variables, as Grafana would set them for a short
# time range with a 1 s scrape interval.
BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "5m"}

VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


def grafana_regex_escape(value):
    """What Grafana does to a multi-value variable's values for Prometheus."""
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\\\1", value)


def substitute(expr, values):
    """Replaces $var, ${var}, ${var:fmt} and [[var]]; unknown names fail."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in BUILTINS:
            return BUILTINS[name]
        if name not in values:
            raise KeyError(f"undefined variable ${name} in {expr!r}")
        return values[name]
    return VAR_RE.sub(repl, expr)


def panels_of(dashboard):
    """Every non-row panel, including those nested in collapsed rows."""
    out = []
    for p in dashboard["panels"]:
        if p.get("type") == "row":
            out.extend(p.get("panels", []))
        else:
            out.append(p)
    return out


def label_values(api, query, values):
    """The sorted answer to a variable's label_values([selector,] label)."""
    m = re.fullmatch(r"label_values\((?:(.+),\s*)?(\w+)\)", query.strip())
    if m is None:
        raise ValueError(f"unsupported variable query {query!r}")
    selector, label = m.group(1), m.group(2)
    params = {}
    if selector:
        params["match[]"] = substitute(selector, values)
    return sorted(api(f"label/{label}/values", **params))


def variable_values(api, dashboard, choose=lambda name, options: None):
    """Values for every variable, in order (later queries may use earlier
    variables). `choose(name, options)` may pick; default: the variable's
    current value, "All" as Grafana's regex, else the first option. A query
    variable that finds nothing raises LookupError."""
    values = {}
    for v in dashboard["templating"]["list"]:
        name = v["name"]
        if v["type"] == "datasource":
            continue
        if v["type"] == "custom":
            options = [o.strip() for o in v["query"].split(",")]
        else:
            query = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            options = label_values(api, query, values)
            if not options:
                raise LookupError(f"variable ${name}: {query} found nothing")
        picked = choose(name, options)
        if picked is None:
            current = v.get("current", {}).get("value")
            if current in (["$__all"], "$__all"):
                picked = "(" + "|".join(grafana_regex_escape(o) for o in options) + ")"
            elif isinstance(current, str) and current in options:
                picked = current
            else:
                picked = options[0]
        values[name] = picked
    return values
