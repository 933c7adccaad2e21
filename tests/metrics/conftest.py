import pytest
from django_scopes import scope

from metrics.models import Metric, MetricValue

METRICS = (
    ("revenue", "Revenue", "currency", "total"),
    ("deals", "Deals won", "count", "total"),
    ("csat", "CSAT", "score", "average"),
)


def add_metrics(world):
    with scope(tenant=world.tenant):
        return {
            key: Metric.objects.create(
                tenant=world.tenant, key=key, name=name, unit=unit, rollup=rollup
            )
            for key, name, unit, rollup in METRICS
        }


@pytest.fixture
def acme_metrics(acme):
    acme.metrics = add_metrics(acme)
    return acme


@pytest.fixture
def globex_metrics(globex):
    globex.metrics = add_metrics(globex)
    return globex


def stored_values(world) -> dict[tuple[str, str, str], str]:
    with scope(tenant=world.tenant):
        return {
            (ref, key, period.strftime("%Y-%m")): str(value)
            for ref, key, period, value in MetricValue.objects.values_list(
                "partner__ref", "metric__key", "period", "value"
            )
        }
