"""The smoke tests of opt/ml/input/smoke-tests.json: the one loader and the one comparison, used by the release's smoke
stage (against the staging endpoint), by `bin/local.sh smoke` and `bin/smoke.sh` (against a local server) and by the
contract suite (tests/contract/).

The file is either a list of cases or, to compare numbers with a tolerance, an object:

    [{"payload": "payload.json", "accept": "application/json", "expect": {"predictions": [1.5]}}, ...]
    {"tolerance": {"absolute": 1e-6, "relative": 1e-6}, "cases": [...]}

A JSON answer compares as a value, a JSON Lines answer as the list of its lines' values, any other answer as its lines
of text with CSV fields compared one by one. Numbers anywhere in them (JSON numbers, CSV fields) are equal when
math.isclose says so with the file's tolerance (none given: exactly equal).

    python -P -m develop.release.smoke [URL]      every case against a server (default http://127.0.0.1:8080)
    python -P -m develop.release.smoke --serve    the same against `main.py serve`, started and stopped for it

Standard library only: it runs in .venv, in the :dev image's Python and in its AWS tools' venv.
"""

import argparse
import csv
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

FILE = Path("opt", "ml", "input", "smoke-tests.json")
CONTENT_TYPES = Path(__file__).resolve().parents[1] / "local" / "content-types.txt"
SHAPE = (
    'a list of {"payload": FILE, "accept": TYPE, "expect": ANSWER}, or '
    '{"tolerance": {"absolute": A, "relative": R}, "cases": [...]}'
)


class SmokeError(ValueError):
    """The smoke-test file is missing or malformed; the message is one line."""


@dataclass(frozen=True)
class Tolerance:
    absolute: float = 0.0
    relative: float = 0.0

    def close(self, a: float, b: float) -> bool:
        return a == b or math.isclose(a, b, rel_tol=self.relative, abs_tol=self.absolute)


@dataclass(frozen=True)
class Case:
    payload: str  # a file name, relative to the smoke-test file's folder
    accept: str | None  # None: the payload's own content type decides
    expect: object


@dataclass(frozen=True)
class Smoke:
    path: Path
    cases: list[Case]
    tolerance: Tolerance

    def payload(self, case: Case) -> Path:
        return self.path.parent / case.payload


def load(project: Path) -> Smoke:
    path = project / FILE
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise SmokeError(f"{path} is missing: the smoke test's payloads and their expected answers") from None
    except ValueError as exc:
        raise SmokeError(f"{path} is not JSON: {exc}") from None
    tolerance = Tolerance()
    if isinstance(document, dict):
        tolerance = _tolerance(path, document.get("tolerance", {}))
        document = document.get("cases")
    if not isinstance(document, list) or not document:
        raise SmokeError(f"{path} must be {SHAPE}")
    cases = []
    for number, case in enumerate(document):
        if not isinstance(case, dict) or not isinstance(case.get("payload"), str) or "expect" not in case:
            raise SmokeError(f'{path}: case {number} needs "payload" (a file name) and "expect"; the file is {SHAPE}')
        if not (path.parent / case["payload"]).is_file():
            raise SmokeError(f"{path}: case {number}: payload file {path.parent / case['payload']} not found")
        cases.append(Case(case["payload"], case.get("accept") or None, case["expect"]))
    return Smoke(path, cases, tolerance)


def _tolerance(path: Path, given) -> Tolerance:
    if not isinstance(given, dict) or set(given) - {"absolute", "relative"}:
        raise SmokeError(f'{path}: "tolerance" must be {{"absolute": A, "relative": R}}, not {given!r}')
    values = {}
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise SmokeError(f'{path}: tolerance "{name}" must be a number >= 0, not {value!r}')
        values[name] = float(value)
    return Tolerance(**values)


def content_type(payload: Path) -> str:
    """The payload's Content-Type, from its extension (develop/local/content-types.txt), else application/json."""
    types = dict(line.split() for line in CONTENT_TYPES.read_text().splitlines() if line.strip())
    return types.get(payload.suffix.lower(), "application/json")


def difference(answer: bytes, accept: str, expected, tolerance: Tolerance) -> str | None:
    """None when the answer is the expected one; else what differs, in a few words."""
    text = answer.decode(errors="replace")
    try:
        if "jsonl" in accept or "jsonlines" in accept:
            got = [json.loads(line) for line in text.splitlines() if line.strip()]
        elif "json" in accept:
            got = json.loads(text)
        else:
            got = None
    except ValueError as exc:
        return f"the answer is not {accept}: {exc}"
    if got is None:
        if not isinstance(expected, str):
            return f"the expected answer of a {accept} answer must be its text, not {type(expected).__name__}"
        got, expected = _csv_lines(text), _csv_lines(expected)
    return _differ(got, expected, tolerance, "")


def _csv_lines(text: str) -> list[list]:
    """A CSV text's rows, each field that reads as a number made one, so that numbers compare with the tolerance."""
    return [[_field(f) for f in row] for row in csv.reader(line.rstrip() for line in text.strip().splitlines())]


def _field(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _differ(got, expected, tolerance: Tolerance, where: str) -> str | None:
    at = f" at {where}" if where else ""
    if isinstance(expected, dict) and isinstance(got, dict):
        if set(got) != set(expected):
            return f"keys{at} are {sorted(got)}, expected {sorted(expected)}"
        return next((d for k in expected if (d := _differ(got[k], expected[k], tolerance, f"{where}.{k}"))), None)
    if isinstance(expected, list) and isinstance(got, list):
        if len(got) != len(expected):
            return f"{len(got)} items{at}, expected {len(expected)}"
        pairs = zip(got, expected, strict=True)
        return next((d for i, (g, e) in enumerate(pairs) if (d := _differ(g, e, tolerance, f"{where}[{i}]"))), None)
    if _is_number(got) and _is_number(expected):
        if tolerance.close(float(got), float(expected)):
            return None
        return f"{got!r}{at}, expected {expected!r} (tolerance: {_shown(tolerance)})"
    if got == expected:
        return None
    return f"{got!r}{at}, expected {expected!r}"


def _shown(tolerance: Tolerance) -> str:
    return f"absolute {tolerance.absolute:g}, relative {tolerance.relative:g}"


def check(smoke: Smoke, post) -> list[str]:
    """Every case through post(payload file, its content type, accept) -> (HTTP status, body): one line per case that
    failed, saying how."""
    failures = []
    for case in smoke.cases:
        payload = smoke.payload(case)
        sent = content_type(payload)
        accept = case.accept or sent
        try:
            status, answer = post(payload, sent, accept)
        except OSError as exc:
            failures.append(f"{case.payload} ({accept}): no answer: {exc}")
            continue
        shown = answer.decode(errors="replace").strip()
        if status != 200:
            failures.append(f"{case.payload} ({accept}): answered {status}: {shown[:300]}")
        elif (differs := difference(answer, accept, case.expect, smoke.tolerance)) is not None:
            failures.append(f"{case.payload} ({accept}): answered {differs}")
    return failures


def post_to(url: str, timeout: float = 60):
    """post(payload, content_type, accept) against a server's /invocations."""

    def post(payload: Path, sent: str, accept: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            url.rstrip("/") + "/invocations",
            data=payload.read_bytes(),
            headers={"Content-Type": sent, "Accept": accept},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    return post


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/local.sh smoke", description="Runs opt/ml/input/smoke-tests.json.")
    parser.add_argument("url", nargs="?", help="the server (default http://127.0.0.1:$SAGEMAKER_BIND_TO_PORT, 8080)")
    parser.add_argument("--serve", action="store_true", help="start `main.py serve` on the trained model, then stop it")
    parser.add_argument("--serve-command", help=argparse.SUPPRESS)  # bin/smoke.sh: the image's own serve command
    args = parser.parse_args(argv)
    if args.url and args.serve:
        parser.error("give a URL or --serve, not both")
    if args.url and not args.url.startswith(("http://", "https://")):
        parser.error(f"{args.url!r} is not an http:// or https:// URL")
    return args


def serve(command: list[str], timeout: float = 240) -> tuple[subprocess.Popen, str]:
    """The server started as a child on a free port of 127.0.0.1, once /ping answers 200: (its process, its URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SAGEMAKER_BIND_TO_PORT": str(port), "SERVE_HOST": "127.0.0.1"}
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    stop(process)
    if process.returncode not in (None, 0, -signal.SIGTERM):
        raise SmokeError(f"the server exited with code {process.returncode} before /ping answered (its log is above)")
    raise SmokeError(f"the server did not answer /ping within {timeout:g} s (its log is above)")


def ping(url: str) -> None:
    try:
        urllib.request.urlopen(url.rstrip("/") + "/ping", timeout=10).close()
    except urllib.error.HTTPError:
        pass  # a server answers: its /invocations are the test
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        raise SmokeError(f"no server answers at {url} ({reason}): start bin/local.sh, or give --serve") from None


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # as SageMaker stops an endpoint
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    args = arguments(argv)
    project = Path(os.environ.get("PROJECT_DIR") or Path(__file__).resolve().parents[2])
    url = args.url or f"http://127.0.0.1:{os.environ.get('SAGEMAKER_BIND_TO_PORT') or 8080}"
    server = None
    try:
        smoke = load(project)
        if args.serve or args.serve_command:
            command = (args.serve_command or "").split() or [sys.executable, str(project / "main.py"), "serve"]
            server, url = serve(command)
        else:
            ping(url)
        failures = check(smoke, post_to(url))
    except SmokeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if server:
            stop(server)
    for line in failures:
        print(f"smoke: {line}", file=sys.stderr)
    if failures:
        print(f"error: {len(failures)} of {len(smoke.cases)} smoke test(s) failed against {url}", file=sys.stderr)
        return 1
    print(f"{len(smoke.cases)} smoke test(s) answered as expected by {url}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
