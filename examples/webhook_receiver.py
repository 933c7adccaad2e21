"""Receive PartnerHub webhooks and verify their signatures (standard library only).

    PARTNERHUB_WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py --port 8099

Register it with `python manage.py add_webhook --tenant acme --url https://<public host>/ \
--events placement.changed,partner.at_risk` (the command prints the secret). Each event is
handled once: PartnerHub may deliver an event again (retries, redelivery), so receivers keep
the ids they have seen.
"""

import argparse
import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """`PartnerHub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`:
    a timestamp within five minutes (no replays) and the digest, compared in constant time."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        sent_at = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - sent_at) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{sent_at}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


def make_handler(secret: str, seen: set[str], handle):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not verify(secret, body, self.headers.get("PartnerHub-Signature", "")):
                self.send_response(401)
                self.end_headers()
                return
            event = json.loads(body)
            if event["id"] not in seen:  # a redelivery of an event already handled
                seen.add(event["id"])
                handle(event)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Receive PartnerHub webhooks.")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    secret = os.environ["PARTNERHUB_WEBHOOK_SECRET"]

    def handle(event):
        print(f"{event['type']} {event['tenant']}: {json.dumps(event['data'])}", flush=True)

    server = ThreadingHTTPServer(("0.0.0.0", args.port), make_handler(secret, set(), handle))  # noqa: S104
    server.serve_forever()


if __name__ == "__main__":
    main()
