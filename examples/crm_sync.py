"""Sync partners and monthly revenue from a CRM's CSV export into PartnerHub.

    PARTNERHUB_URL=https://partners.example.com PARTNERHUB_KEY=ph_... \
        python examples/crm_sync.py examples/crm_export.csv --program resell

Standard library only. Partners are upserted by ref (PUT /api/v1/partners/<ref>/); revenue is
posted in calls of up to 50,000 values (POST /api/v1/metric-values/), each with an
Idempotency-Key derived from its content, so a retried run never writes twice. A refused call
prints every problem by index and stops: nothing of that call was written.
"""

import argparse
import csv
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from urllib.parse import quote

COLUMNS = {
    "ref": "Account ID",
    "name": "Account Name",
    "type": "Partner Type",
    "region": "Region",
    "month": "Month",
    "revenue": "Closed Won Revenue",
}
CALL_SIZE = 50_000


class ApiError(Exception):
    pass


def call(base: str, key: str, method: str, path: str, body: dict, **headers) -> dict:
    if not base.startswith(("https://", "http://")):
        raise ApiError(f"PARTNERHUB_URL must be an https:// address (got {base})")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        base.rstrip("/") + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        lines = [f"{e['path']}: {e['detail']}" for e in problem.get("errors", [])]
        raise ApiError("\n".join([f"{error.code} {problem['detail']}", *lines])) from None


def sync(csv_path: str, *, base: str, key: str, program: str | None) -> dict:
    with open(csv_path, newline="", encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    partners = {}
    values = []
    for row in rows:
        ref = row[COLUMNS["ref"]].strip()
        partners[ref] = {
            "name": row[COLUMNS["name"]].strip(),
            "type": row[COLUMNS["type"]].strip().lower(),
            "region": row[COLUMNS["region"]].strip(),
        } | ({"program": program} if program else {})
        values.append(
            {
                "partner_ref": ref,
                "metric": "revenue",
                "period": row[COLUMNS["month"]].strip(),
                "value": row[COLUMNS["revenue"]].strip(),
            }
        )
    for ref, partner in partners.items():
        call(base, key, "PUT", f"/api/v1/partners/{quote(ref, safe='')}/", partner)
    written = {"partners": len(partners), "inserted": 0, "updated": 0, "unchanged": 0}
    for start in range(0, len(values), CALL_SIZE):
        chunk = {"values": values[start : start + CALL_SIZE]}
        digest = hashlib.sha256(json.dumps(chunk, sort_keys=True).encode()).hexdigest()
        result = call(
            base, key, "POST", "/api/v1/metric-values/", chunk, **{"Idempotency-Key": digest}
        )
        for name in ("inserted", "updated", "unchanged"):
            written[name] += result[name]
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv_path")
    parser.add_argument("--program", help="the program key new partners join")
    args = parser.parse_args(argv)
    try:
        written = sync(
            args.csv_path,
            base=os.environ["PARTNERHUB_URL"],
            key=os.environ["PARTNERHUB_KEY"],
            program=args.program,
        )
    except ApiError as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
