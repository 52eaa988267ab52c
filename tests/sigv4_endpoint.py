"""A stand-in for SageMaker's runtime on 127.0.0.1: `POST /endpoints/<name>/invocations` signed with AWS Signature
Version 4 for the service `sagemaker`, checked here as AWS checks it, then passed to a real server's `/invocations`
(the container behind an endpoint). A request whose signature does not match is refused with 403, as AWS refuses it.

The signature is recomputed from the request with the standard library, after AWS's documented algorithm
(canonical request, string to sign, HMAC-SHA256 key derivation): the tests' Python has no botocore.
"""

import hashlib
import hmac
import http.server
import re
import threading
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit

FORWARDED = ("Content-Type", "Accept", "X-Amzn-SageMaker-Custom-Attributes")
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})"
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(method: str, url: str, headers: dict, body: bytes, secret: str, found: re.Match) -> str:
    parts = urlsplit(url)
    path = quote(quote(parts.path or "/", safe="/~"), safe="/~")  # every service but S3 encodes the path twice
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    lower = {k.lower(): " ".join(v.split()) for k, v in headers.items()}
    signed = found["signed"].split(";")
    canonical_headers = "".join(f"{name}:{lower.get(name, '')}\n" for name in signed)
    payload = lower.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join([method, path, query, canonical_headers, found["signed"], payload])
    scope = f"{found['date']}/{found['region']}/{found['service']}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", lower["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + secret).encode(), found["date"])
    for part in (found["region"], found["service"], "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class Endpoint:
    """The stand-in, serving until stop(); `verified` counts the requests whose signature matched."""

    def __init__(self, name: str, container_url: str, access_key: str, secret: str, region: str):
        self.verified, self.refused = 0, []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                reason = endpoint.check(
                    self.command,
                    self.path,
                    dict(self.headers),
                    body,
                    name,
                    access_key,
                    secret,
                    region,
                    f"http://{self.headers['Host']}",
                )
                if reason:
                    endpoint.refused.append(reason)
                    return self.answer(403, "application/json", b'{"message": "' + reason.encode() + b'"}')
                endpoint.verified += 1
                forward = {k: self.headers[k] for k in FORWARDED if self.headers.get(k)}
                request = urllib.request.Request(container_url + "/invocations", body, forward, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        self.answer(answer.status, answer.headers.get("Content-Type", ""), answer.read())
                except urllib.error.HTTPError as error:
                    self.answer(error.code, error.headers.get("Content-Type", ""), error.read())

            def answer(self, status: int, content_type: str, data: bytes):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/endpoints/{name}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def check(method, path, headers, body, name, access_key, secret, region, origin) -> str | None:
        """Why AWS would refuse the request, or None."""
        if path != f"/endpoints/{name}/invocations":
            return f"no route {path}"
        found = AUTHORIZATION.fullmatch(headers.get("Authorization", ""))
        if not found:
            return "no AWS Signature Version 4 Authorization header"
        if (found["key"], found["region"], found["service"]) != (access_key, region, "sagemaker"):
            return f"signed for {found['key']} in {found['region']} for {found['service']}"
        if found["signature"] != expected_signature(method, origin + path, headers, body, secret, found):
            return "the signature does not match"
        return None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
