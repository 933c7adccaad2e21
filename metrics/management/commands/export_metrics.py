import datetime

from django.core.management.base import CommandError

from metrics.selectors import MetricValueFilter, metric_csv_lines, metric_values_for_export
from partnerhub.tenancy.management.tenant_command import TenantCommand


def month(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"“{text}” is not a month written YYYY-MM.") from None


class Command(TenantCommand):
    help = "Write metric values as CSV (the import format) to standard output."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--partner", default="", metavar="REF")
        parser.add_argument("--metric", default="", metavar="KEY")
        parser.add_argument("--from", dest="first", metavar="YYYY-MM")
        parser.add_argument("--to", dest="last", metavar="YYYY-MM")

    def handle_tenant(self, tenant, *, partner, metric, first, last, **options):
        filters = MetricValueFilter(
            partner_ref=partner,
            metric_key=metric,
            first_month=month(first) if first else None,
            last_month=month(last) if last else None,
        )
        if filters.first_month and filters.last_month and filters.first_month > filters.last_month:
            raise CommandError("--from is after --to.")
        for line in metric_csv_lines(metric_values_for_export(filters=filters)):
            self.stdout.write(line, ending="")
