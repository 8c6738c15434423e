"""deploy/prometheus/rules.yaml and deploy/grafana/loanwatch.json: every expression parses as
PromQL and names only metrics that loanwatch really exposes, as scraped from a running server's
/metrics.

promtool does not install from the registries; promql-parser (a binding of a Rust PromQL
parser) parses each expression in full, so a lost bracket or an unknown function is caught, and
each metric it selects must be one of the scrape (a histogram's _bucket, _count and _sum, a
counter's _total) or one of Prometheus' own.
"""

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import promql_parser
import pytest
import yaml

from bot.db import make_engine
from bot.metrics.exposition import metrics_page
from bot.sessions import session_factory
from bot.settings import Settings
from bot.slack.server import Health, Serving, make_server, wsgi_app
from tests.deploy.files import DEPLOY, resource
from tests.support.databases import sqlite_copy
from tests.support.metrics import Samples, scrape

RULES = DEPLOY / "prometheus" / "rules.yaml"
DASHBOARD = DEPLOY / "grafana" / "loanwatch.json"

# Prometheus' own series, which every target has.
PROMETHEUS_SERIES = {"up"}


@pytest.fixture(scope="module")
def exposed(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every series name loanwatch's /metrics can show, from a real server's scrape."""
    url = sqlite_copy(_sqlite_template, tmp_path_factory.mktemp("metrics"))
    engine = make_engine(url)
    sessions = session_factory(engine)
    application = wsgi_app(
        None, Health(sessions), signing_secret=None, metrics=metrics_page(sessions)
    )
    serving = Serving(make_server(application, host="127.0.0.1", port=0, threads=2), grace=1)
    thread = threading.Thread(target=serving.run)
    thread.start()
    try:
        samples = scrape(serving.port)
    finally:
        serving.close()
        thread.join(timeout=10)
        engine.dispose()
    return _series_names(samples)


def _series_names(samples: Samples) -> set[str]:
    names = set(samples.names())
    for family, kind in samples.types.items():
        if kind == "counter":
            names.add(f"{family}_total")
        elif kind == "histogram":
            names.update(f"{family}_{suffix}" for suffix in ("bucket", "count", "sum"))
        else:
            names.add(family)
    return names


def problems(expr: str, exposed: set[str]) -> list[str]:
    """What is wrong with one expression: it does not parse as PromQL, or it selects a metric
    loanwatch does not expose, or none of loanwatch's; [] when nothing."""
    try:
        tree = promql_parser.parse(expr)
    except ValueError as error:
        return [f"not PromQL: {error}"]
    selected: list[str] = []

    def visit(node: object) -> bool:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            selected.append(node.name)
        return True

    promql_parser.walk(tree, visit)
    found = [
        f"no such metric {name}"
        for name in selected
        if name not in exposed and name not in PROMETHEUS_SERIES
    ]
    if not any(name.startswith("loanwatch_") for name in selected):
        found.append("names no loanwatch metric")
    return found


def _rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> Iterator[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["expr"].replace("$__rate_interval", "5m")


def test_every_alerting_rule_names_metrics_loanwatch_exposes(exposed) -> None:
    """Each rule's expression names only metrics of a real scrape; each rule is complete."""
    rules = _rules()
    assert len({r["alert"] for r in rules}) == len(rules), "two rules share a name"
    for rule in rules:
        assert problems(rule["expr"], exposed) == [], rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_the_rules_cover_what_an_admin_must_hear_about() -> None:
    """Worker silent, outbox stuck or growing, dead letters, check cycles failing: each has a
    rule on the metric that shows it."""
    exprs = {rule["alert"]: rule["expr"] for rule in _rules()}
    assert "loanwatch_scheduler_last_run_timestamp_seconds" in exprs["LoanwatchWorkerSilent"]
    assert "loanwatch_outbox_oldest_age_seconds" in exprs["LoanwatchOutboxStuck"]
    assert "loanwatch_outbox_pending" in exprs["LoanwatchOutboxGrowing"]
    assert "loanwatch_dead_letters_total" in exprs["LoanwatchDeadLetters"]
    assert 'result="failed"' in exprs["LoanwatchCheckCycleFailing"]
    # Three of the default check intervals.
    interval = Settings.model_fields["check_interval_minutes"].default
    assert f"3 * {interval} * 60" in exprs["LoanwatchWorkerSilent"]


def test_every_dashboard_panel_queries_metrics_loanwatch_exposes(exposed) -> None:
    """Each panel's queries name only metrics of a real scrape, through the dashboard's
    Prometheus data source variable."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(set(ids)) == len(ids)
    for title, expr in _dashboard_exprs():
        assert problems(expr, exposed) == [], title


def test_a_misspelt_metric_or_function_is_named(exposed) -> None:
    """The check is not blind: a typo in a name or a function, or a lost bracket, is caught."""
    assert problems("sum(rate(loanwatch_dead_leters_total[5m]))", exposed) == [
        "no such metric loanwatch_dead_leters_total"
    ]
    assert problems("summ(loanwatch_outbox_pending)", exposed) == [
        "not PromQL: unknown function with name 'summ'"
    ]
    assert problems("max(loanwatch_outbox_pending", exposed) == [
        "not PromQL: unclosed left parenthesis"
    ]
    assert "loanwatch_check_cycle_seconds_bucket" in exposed
    assert "loanwatch_alerts" in exposed


def test_prometheus_finds_web_and_worker_metrics_where_they_are_served() -> None:
    """The pods' scrape annotations name the port each serves /metrics on: web's PORT, the
    worker's LOANWATCH_METRICS_PORT (a named containerPort), as the ConfigMap sets them."""
    config = resource("ConfigMap", "loanwatch-config")["data"]
    expected = {
        "loanwatch-web": config["PORT"],
        "loanwatch-worker": config["LOANWATCH_METRICS_PORT"],
    }
    for name, port in expected.items():
        template = resource("Deployment", name)["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": port,
            "prometheus.io/path": "/metrics",
        }
        (container,) = template["spec"]["containers"]
        assert int(port) in [p["containerPort"] for p in container["ports"]]
    assert int(config["LOANWATCH_METRICS_PORT"]) == Settings.model_fields["metrics_port"].default
