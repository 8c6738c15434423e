"""/metrics read as Prometheus reads it: scraped over HTTP, parsed by prometheus_client's parser.

samples = scrape(port)
samples.value("loanwatch_commands_total", command="status", result="ok")
"""

import http.client
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Samples:
    """One scrape: every sample by name and labels, and every metric family's type."""

    values: dict[tuple[str, frozenset[tuple[str, str]]], float]
    types: dict[str, str]

    def value(self, name: str, **labels: str) -> float:
        """The sample's value; 0 when the scrape has no such sample (a counter not yet counted
        is what Grafana shows as nothing, and a user reads as none)."""
        return self.values.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum of the samples named `name` whose labels include `labels`."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.values.items() if n == name and wanted <= ls)

    def names(self) -> set[str]:
        return {name for name, _ in self.values}


def parse(text: str) -> Samples:
    values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Samples(values, types)


def scrape(port: int, path: str = "/metrics") -> Samples:
    """GET http://127.0.0.1:port/metrics, which must answer 200 in the text format."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200, body
    assert response.getheader("Content-Type", "").startswith("text/plain; version="), (
        response.getheader("Content-Type")
    )
    return parse(body)
