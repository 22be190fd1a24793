#!/usr/bin/env python3
"""flowc_exporter.py - a small Prometheus exporter of Flow C metrics for tests.

Serves GET /metrics (Prometheus text format 0.0.4) on 127.0.0.1:PORT with the
metrics the Flow C runbook queries:

  neural_hive_flow_c_duration_seconds            histogram
  neural_hive_flow_c_success_total               counter
  neural_hive_flow_c_failures_total              counter
  neural_hive_service_registry_agents_total      gauge {agent_type, status}
  neural_hive_execution_tickets_created_total    counter {source="flow_c"}
  neural_hive_flow_c_active_workflows            gauge
  neural_hive_flow_c_sla_violations_total        counter
  neural_hive_circuit_breaker_state              gauge {component}
                                                 (0 closed, 1 open, 2 half-open)

Every value comes from the JSON state file (re-read on each scrape, so a test
can change it, e.g. open the orchestrator circuit breaker, and the next scrape
shows it). Counters grow from their "value" by "per_second" times the seconds
since the exporter started, so rate() is non-zero. The file is created with
defaults when missing. Usage: flowc_exporter.py --port 19100 --state FILE
"""
import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_STATE = {
    "duration_seconds": {
        "buckets": [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
        "fractions": [0.05, 0.20, 0.55, 0.80, 0.93, 0.98, 0.995, 1.0, 1.0],
        "mean": 4.2,
        "count": 1200,
        "per_second": 2.0,
    },
    "success_total": {"value": 1150, "per_second": 1.9},
    "failures_total": {"value": 50, "per_second": 0.1},
    "tickets_created_total": {"value": 4800, "per_second": 8.0},
    "sla_violations_total": {"value": 7, "per_second": 0.01},
    "active_workflows": 12,
    "agents": [
        {"agent_type": "worker", "status": "healthy", "value": 5},
        {"agent_type": "worker", "status": "unhealthy", "value": 1},
        {"agent_type": "scout", "status": "healthy", "value": 2},
        {"agent_type": "guard", "status": "healthy", "value": 1},
    ],
    "circuit_breaker": {"orchestrator": 0, "service_registry": 0, "mongodb": 0, "kafka": 0},
}

STARTED = time.time()


def load_state(path):
    """Return the state file's JSON, falling back to the defaults per key."""
    state = json.loads(json.dumps(DEFAULT_STATE))
    try:
        with open(path, encoding="utf-8") as f:
            state.update(json.load(f))
    except (OSError, ValueError) as exc:
        sys.stderr.write("flowc_exporter: cannot read %s: %s (using defaults)\n" % (path, exc))
    return state


def counter(spec, elapsed):
    """A counter's value now: value + per_second * elapsed."""
    if isinstance(spec, (int, float)):
        return float(spec)
    return float(spec.get("value", 0)) + float(spec.get("per_second", 0)) * elapsed


def esc(v):
    return str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(state):
    """The Prometheus text exposition of the state."""
    elapsed = time.time() - STARTED
    out = []
    h = state["duration_seconds"]
    n = int(float(h.get("count", 0)) + float(h.get("per_second", 0)) * elapsed)
    out.append("# HELP neural_hive_flow_c_duration_seconds Flow C end-to-end duration")
    out.append("# TYPE neural_hive_flow_c_duration_seconds histogram")
    for le, frac in zip(h["buckets"], h["fractions"]):
        out.append('neural_hive_flow_c_duration_seconds_bucket{le="%s"} %d' % (le, int(n * frac)))
    out.append('neural_hive_flow_c_duration_seconds_bucket{le="+Inf"} %d' % n)
    out.append("neural_hive_flow_c_duration_seconds_sum %.3f" % (n * float(h.get("mean", 1))))
    out.append("neural_hive_flow_c_duration_seconds_count %d" % n)
    for key, metric, labels, help_ in (
        ("success_total", "neural_hive_flow_c_success_total", "", "Flow C workflows completed"),
        ("failures_total", "neural_hive_flow_c_failures_total", "", "Flow C workflows failed"),
        ("tickets_created_total", "neural_hive_execution_tickets_created_total", '{source="flow_c"}',
         "execution tickets created"),
        ("sla_violations_total", "neural_hive_flow_c_sla_violations_total", "", "Flow C SLA violations"),
    ):
        out.append("# HELP %s %s" % (metric, help_))
        out.append("# TYPE %s counter" % metric)
        out.append("%s%s %.3f" % (metric, labels, counter(state[key], elapsed)))
    out.append("# HELP neural_hive_flow_c_active_workflows Flow C workflows running")
    out.append("# TYPE neural_hive_flow_c_active_workflows gauge")
    out.append("neural_hive_flow_c_active_workflows %s" % float(state["active_workflows"]))
    out.append("# HELP neural_hive_service_registry_agents_total agents known to the service registry")
    out.append("# TYPE neural_hive_service_registry_agents_total gauge")
    for a in state["agents"]:
        out.append('neural_hive_service_registry_agents_total{agent_type="%s",status="%s"} %s'
                   % (esc(a["agent_type"]), esc(a["status"]), float(a["value"])))
    out.append("# HELP neural_hive_circuit_breaker_state circuit breaker state (0 closed, 1 open, 2 half-open)")
    out.append("# TYPE neural_hive_circuit_breaker_state gauge")
    for comp, v in sorted(state["circuit_breaker"].items()):
        out.append('neural_hive_circuit_breaker_state{component="%s"} %s' % (esc(comp), float(v)))
    return "\n".join(out) + "\n"


class Handler(BaseHTTPRequestHandler):
    state_path = ""

    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path.split("?")[0] not in ("/metrics", "/"):
            self.send_error(404)
            return
        try:
            body = render(load_state(self.state_path)).encode()
        except (KeyError, TypeError, ValueError) as exc:
            self.send_error(500, "bad state file: %s" % exc)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=19100)
    ap.add_argument("--state", required=True)
    args = ap.parse_args()
    if not os.path.exists(args.state):
        tmp = args.state + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(DEFAULT_STATE, f, indent=2)
        os.replace(tmp, args.state)
    Handler.state_path = args.state
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    sys.stderr.write("flowc_exporter: serving on 127.0.0.1:%d, state %s\n" % (args.port, args.state))
    srv.serve_forever()


if __name__ == "__main__":
    main()
