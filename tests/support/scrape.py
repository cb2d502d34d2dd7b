"""Reading a /metrics page in tests, one way: `parse()` an exposition, `scrape()` a URL (or a
service that names its /metrics endpoint), then `value()`, `total()` or `.series()` of it."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.support import loopback


class Metrics(dict[str, list[tuple[dict, float]]]):
    """Sample name -> [(labels, value)] of an exposition."""

    def series(self, prefix: str = "") -> dict[tuple[str, frozenset], float]:
        """(sample name, labels) -> value of the samples whose name starts with `prefix`. Labels
        with an empty value are left out (Prometheus treats them as absent) and bucket bounds have
        one spelling: the Python exporters write le="10.0", the OTel Collector le="10"."""
        out = {}
        for name, samples in self.items():
            if not name.startswith(prefix):
                continue
            for labels, value in samples:
                key = (name, frozenset((k, _bound(k, v)) for k, v in labels.items() if v))
                assert key not in out, f"duplicate series {key}"
                out[key] = value
        return out


def _bound(label: str, value: str) -> str:
    return repr(float(value)).replace("inf", "+Inf") if label == "le" else value


def parse(text: str) -> Metrics:
    out = Metrics()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


def scrape(target) -> Metrics:
    """The samples of a /metrics URL, or of a service's `endpoints["metrics"]`."""
    url = target if isinstance(target, str) else target.endpoints["metrics"]
    url = url if url.endswith("/metrics") else f"{url.rstrip('/')}/metrics"
    r = loopback.get(url, timeout=10)
    r.raise_for_status()
    return parse(r.text)


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    """The one sample of `name` whose labels include `labels`; None when there is none."""
    found = [v for lbl, v in metrics.get(name, []) if all(lbl.get(k) == want for k, want in labels.items())]
    assert len(found) <= 1, f"{name}{labels} matches {len(found)} samples"
    return found[0] if found else None


def total(metrics: Metrics, name: str, **labels: str) -> float:
    return sum(v for lbl, v in metrics.get(name, []) if all(lbl.get(k) == want for k, want in labels.items()))
