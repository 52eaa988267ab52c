"""A local batch transform: runs `serve` as a SageMaker transform job does and writes <file>.out for every input file.

    python -P -m develop.local.transform.runner [INPUT_DIR [OUTPUT_DIR]] [--ContentType T] [--SplitType Line] ...

The arguments are bin/transform.sh's and bin/local.sh transform's, which pass them on unchanged.

bin/transform.sh runs it in the :dev image (the server is the image's `serve`, in the same container);
bin/local.sh transform runs it with .venv's Python and `main.py serve` (no Docker). What it does, as the platform:
- starts the server with the environment a transform job sets (SAGEMAKER_BATCH, and SAGEMAKER_MAX_PAYLOAD_IN_MB,
  SAGEMAKER_BATCH_STRATEGY, SAGEMAKER_MAX_CONCURRENT_TRANSFORMS for the settings given), waits for GET /ping;
- reads GET /execution-parameters: a setting given to the job wins, then the container's value, then the default;
- splits each input file (every file under the input folder, sub-folders kept, as under an S3 prefix) into
  mini-batches of whole records up to MaxPayloadInMB, keeps MaxConcurrentTransforms requests in flight, and writes
  the answers in input order to <output>/<same relative path>.out, written aside and renamed when complete.
Any 4xx/5xx stops the job with the file, the record range and the container's message; finished files stay.
The options keep the names of create-transform-job's fields; docs/how-to/batch-transform.md maps each one.
Standard library only: it runs in the image's Python and in .venv alike.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from develop.local.entrypoint import PLACEHOLDERS
from develop.local.transform.jsonpath import JSONPathError
from develop.local.transform.records import CSV, JSON, JSONLINES_TYPES, Batch, DataError, Processing, assembler, split

ROOT = Path(__file__).resolve().parents[3]  # the project: develop/local/transform/runner.py
DEFAULT_INPUT, DEFAULT_OUTPUT = ROOT / "transform" / "input", ROOT / "transform" / "output"
# The same file extensions as bin/predict.sh and entrypoint.py.
BY_EXTENSION = dict(line.split() for line in (Path(__file__).parents[1] / "content-types.txt").read_text().splitlines())
STRATEGY_ENV = {"MultiRecord": "MULTI_RECORD", "SingleRecord": "SINGLE_RECORD"}
DEFAULT_PAYLOAD_MB, DEFAULT_CONCURRENCY = 6, 1  # SageMaker's, when neither the job nor the container says
READY_TIMEOUT = 240  # SageMaker's default wait for the first /ping


class JobError(Exception):
    """Stops the job; the message is the one line the user sees."""


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="transform", description="A local batch transform, as SageMaker runs one (docs/how-to/batch-transform.md)."
    )
    parser.add_argument("input", nargs="?", type=Path, default=DEFAULT_INPUT, help="folder of input files (S3Uri)")
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="folder of .out (S3OutputPath)")
    parser.add_argument("--ContentType", help="the input's media type (default: from the files' extension)")
    parser.add_argument("--Accept", help="the answers' media type (default: none sent; the container chooses)")
    parser.add_argument("--SplitType", choices=["None", "Line"], default="None")
    parser.add_argument("--BatchStrategy", choices=list(STRATEGY_ENV))
    parser.add_argument("--MaxPayloadInMB", type=int)
    parser.add_argument("--MaxConcurrentTransforms", type=int)
    parser.add_argument("--AssembleWith", choices=["None", "Line"], default="None")
    parser.add_argument("--InputFilter", default="$")
    parser.add_argument("--JoinSource", choices=["None", "Input"], default="None")
    parser.add_argument("--OutputFilter", default="$")
    parser.add_argument("--InvocationsTimeoutInSeconds", type=int, default=600)
    parser.add_argument("--url", help="use the server already answering at this URL instead of starting one")
    parser.add_argument(
        "--serve-command", help="how to start the server (default: this project's main.py serve, with this Python)"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = arguments(argv)
    # docker stop (SIGTERM) stops the job as Ctrl-C does: the server is stopped and no half-written file is left.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = None
    try:
        files = input_files(args.input, args.output)
        content_type = args.ContentType or content_type_of(files)
        processing = check_settings(args, content_type)
        if args.url:
            base_url = args.url.rstrip("/")
        else:
            server = Server(args)
            base_url = server.start()
        payload_mb, concurrency, strategy = resolve(args, execution_parameters(base_url))
        job = Job(args, files, processing, base_url, payload_mb, concurrency, strategy)
        code, message = job.run(), None
    except (JobError, DataError) as exc:
        code, message = 1, str(exc)
    except KeyboardInterrupt:
        code, message = 130, "stopped; finished files stay, the file in progress was not written"
    finally:
        if server:
            server.stop()
    if message:
        print(f"error: {message}", file=sys.stderr)  # last, after the server's own lines as it stops
    return code


def input_files(folder: Path, output: Path) -> list[tuple[Path, Path]]:
    """(file, path relative to the folder) for every file under it, sorted as S3 lists keys."""
    if not folder.is_dir():
        raise JobError(f"input folder {folder} does not exist: put the files to transform in it")
    folder, output = folder.resolve(), output.resolve()
    if output == folder or folder in output.parents:
        raise JobError(f"the output folder {output} is inside the input folder: choose another output folder")
    files = sorted((p, p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name not in PLACEHOLDERS)
    if not files:
        raise JobError(f"input folder {folder} has no files: put the files to transform in it")
    return files


def content_type_of(files: list[tuple[Path, Path]]) -> str:
    found = {BY_EXTENSION.get(path.suffix.lower()) for path, _ in files}
    if None in found or len(found) != 1:
        names = ", ".join(sorted({path.suffix or "(no extension)" for path, _ in files}))
        raise JobError(
            f"cannot tell one content type from the files' extensions ({names}): pass --ContentType, e.g. text/csv"
        )
    return found.pop()


def check_settings(args: argparse.Namespace, content_type: str) -> Processing:
    if args.MaxPayloadInMB is not None and not 1 <= args.MaxPayloadInMB <= 100:
        raise JobError(f"MaxPayloadInMB {args.MaxPayloadInMB}: give 1 to 100 (0, chunked, is not supported here)")
    if args.MaxConcurrentTransforms is not None and args.MaxConcurrentTransforms < 1:
        raise JobError(f"MaxConcurrentTransforms {args.MaxConcurrentTransforms}: give 1 or more")
    if args.MaxPayloadInMB and args.MaxConcurrentTransforms:
        resolve(args, {})  # both given: their product is checked before the server starts
    if args.BatchStrategy and args.SplitType == "None":
        raise JobError("BatchStrategy needs SplitType Line (with SplitType None each file is one request)")
    try:
        processing = Processing(content_type, args.InputFilter, args.JoinSource, args.OutputFilter)
    except JSONPathError as exc:
        raise JobError(f"InputFilter/OutputFilter: {exc}") from None
    if processing.filters_input or processing.reshapes_output:
        known = (CSV, JSON, *JSONLINES_TYPES)
        if content_type not in known:
            raise JobError(f"InputFilter, JoinSource and OutputFilter need ContentType {', '.join(known)}")
        if content_type == CSV and args.SplitType != "Line":
            raise JobError("InputFilter, JoinSource and OutputFilter on CSV need SplitType Line")
        if args.SplitType == "Line" and content_type == JSON:
            raise JobError("application/json cannot be split by line: use application/jsonlines or SplitType None")
        if args.SplitType == "Line" and args.AssembleWith != "Line":
            raise JobError("JoinSource and OutputFilter on split records need AssembleWith Line")
        if processing.reshapes_output and (args.Accept == CSV) != (content_type == CSV):
            raise JobError(f"JoinSource and OutputFilter need the same format in and out: Accept {content_type}")
        if processing.reshapes_output and not args.Accept:
            raise JobError(f"JoinSource and OutputFilter need --Accept (e.g. {content_type})")
    return processing


def resolve(args: argparse.Namespace, container: dict) -> tuple[int, int, str]:
    """SageMaker's precedence: the job's setting, then the container's /execution-parameters, then the default."""
    strategy = {"MULTI_RECORD": "MultiRecord", "SINGLE_RECORD": "SingleRecord"}.get(container.get("BatchStrategy"))
    payload = args.MaxPayloadInMB or _positive(container.get("MaxPayloadInMB")) or DEFAULT_PAYLOAD_MB
    concurrency = (
        args.MaxConcurrentTransforms or _positive(container.get("MaxConcurrentTransforms")) or DEFAULT_CONCURRENCY
    )
    if payload * concurrency > 100:
        raise JobError(
            f"MaxConcurrentTransforms x MaxPayloadInMB = {concurrency} x {payload} is over 100, SageMaker's limit"
        )
    return min(payload, 100), concurrency, args.BatchStrategy or strategy or "MultiRecord"


def _positive(value) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def execution_parameters(base_url: str) -> dict:
    try:
        status, body = request(base_url, "GET", "/execution-parameters", timeout=10)
    except OSError:
        return {}
    if status != 200:
        return {}  # optional for a container: the defaults apply
    try:
        parameters = json.loads(body)
    except ValueError:
        return {}
    return parameters if isinstance(parameters, dict) else {}


def request(base_url: str, method: str, path: str, body: bytes | None = None, headers=None, timeout: float = 60):
    """One HTTP request on a fresh connection: (status, body)."""
    connection = _connection(base_url, timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _connection(base_url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)


class Server:
    """`serve` as a child process with a transform job's environment, on 127.0.0.1."""

    def __init__(self, args: argparse.Namespace):
        self.args, self.process = args, None

    def start(self) -> str:
        port = _free_port()
        env = {**os.environ, "SAGEMAKER_BATCH": "true", "SAGEMAKER_BIND_TO_PORT": str(port), "SERVE_HOST": "127.0.0.1"}
        if self.args.MaxPayloadInMB:
            env["SAGEMAKER_MAX_PAYLOAD_IN_MB"] = str(self.args.MaxPayloadInMB)
        if self.args.BatchStrategy:
            env["SAGEMAKER_BATCH_STRATEGY"] = STRATEGY_ENV[self.args.BatchStrategy]
        if self.args.MaxConcurrentTransforms:
            env["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = str(self.args.MaxConcurrentTransforms)
        command = self.args.serve_command.split() if self.args.serve_command else None
        command = command or [sys.executable, str(ROOT / "main.py"), "serve"]
        # Its own process group: Ctrl-C reaches this runner, which stops the server as SageMaker would (SIGTERM).
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise JobError(
                    f"the server exited with code {self.process.returncode} before /ping answered (see above)"
                )
            try:
                if request(url, "GET", "/ping", timeout=2)[0] == 200:
                    return url
            except OSError:
                pass
            time.sleep(0.1)
        raise JobError(f"the server did not answer /ping with 200 within {READY_TIMEOUT} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Invoker:
    """POST /invocations on one keep-alive connection per thread, as many threads as MaxConcurrentTransforms."""

    def __init__(self, base_url: str, content_type: str, accept: str | None, timeout: float):
        self.base_url, self.timeout, self.local = base_url, timeout, threading.local()
        self.connections: list[http.client.HTTPConnection] = []
        self.headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}

    def __call__(self, body: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = self.local.connection = _connection(self.base_url, self.timeout)
                self.connections.append(connection)
            try:
                connection.request("POST", "/invocations", body=body, headers=self.headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed a kept-alive connection between two requests: once more on a new connection.
                connection.close()
                self.local.connection = None
                if attempt == 2:
                    raise

    def close(self) -> None:
        # An idle kept-alive connection would hold a gevent worker's graceful stop for its whole timeout.
        for connection in self.connections:
            connection.close()


class Job:
    def __init__(self, args, files, processing: Processing, base_url, payload_mb, concurrency, strategy):
        self.args, self.files, self.processing = args, files, processing
        self.limit = payload_mb * 1024 * 1024
        self.concurrency, self.strategy = concurrency, strategy
        self.invoke = Invoker(base_url, processing.content_type, args.Accept, args.InvocationsTimeoutInSeconds)
        check_count = args.AssembleWith == "Line" and args.SplitType == "Line"
        self.assemble = assembler(processing, args.AssembleWith, check_count, args.Accept)
        self.output = args.output.resolve()
        self.progress = Progress(sum(path.stat().st_size for path, _ in files), len(files))

    def run(self) -> int:
        print(
            f"transform: {len(self.files)} file(s) from {self.args.input} to {self.output}; "
            f"{self.processing.content_type} -> {self.args.Accept or '(container default)'}, "
            f"SplitType {self.args.SplitType}, BatchStrategy {self.strategy}, MaxPayloadInMB {self.limit >> 20}, "
            f"MaxConcurrentTransforms {self.concurrency}, AssembleWith {self.args.AssembleWith}",
            file=sys.stderr,
        )
        self.output.mkdir(parents=True, exist_ok=True)
        # Twice as many batches ready as requests in flight, so that a thread never waits for the next body.
        in_flight: deque[tuple[Output, Batch, Future]] = deque()
        started: list[Output] = []
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="invoke") as pool:
            try:
                for path, relative in self.files:
                    output = Output(self.output, relative)
                    started.append(output)
                    with open(path, "rb") as source:
                        try:
                            for batch in split(
                                source, self.args.SplitType, self.single_record, self.limit, self.processing
                            ):
                                in_flight.append((output, batch, pool.submit(self.invoke, batch.body)))
                                while len(in_flight) > 2 * self.concurrency:
                                    self.finish(*in_flight.popleft())
                        except DataError as exc:
                            while in_flight and in_flight[0][0] is not output:  # the files before it can finish
                                self.finish(*in_flight.popleft())
                            raise DataError(f"{relative}: {exc}") from None
                    in_flight.append((output, None, None))  # the file's end, in order with its batches
                while in_flight:
                    self.finish(*in_flight.popleft())
            except BaseException:
                pool.shutdown(cancel_futures=True)
                for output in started:
                    output.discard()  # a file not finished leaves nothing; finished ones stay
                raise
            finally:
                pool.shutdown(wait=True)
                self.invoke.close()
        self.progress.summary(self.output)
        return 0

    @property
    def single_record(self) -> bool:
        return self.strategy == "SingleRecord"

    def finish(self, output: "Output", batch: Batch | None, answer: Future | None) -> None:
        if batch is None:
            output.close()
            self.progress.file_done()
            return
        where = f"{output.relative}, records {batch.first}-{batch.first + batch.count - 1}"
        try:
            status, body = answer.result()
        except OSError as exc:
            raise JobError(f"{where}: no answer from the container: {exc}") from None
        if status != 200:
            message = body.decode("utf-8", "replace").strip()[:1000]
            raise JobError(f"{where}: the container answered {status}: {message}")
        try:
            output.write(self.assemble(batch, body))
        except DataError as exc:
            raise JobError(f"{where}: {exc}") from None
        self.progress.add(batch.count, len(batch.body))


class Output:
    """<output>/<relative>.out, written to a hidden file beside it and renamed only when the file is complete."""

    def __init__(self, root: Path, relative: Path):
        self.relative, self.root = relative, root
        self.path = root / relative.parent / (relative.name + ".out")
        self.file = None

    def write(self, data: bytes) -> None:
        if self.file is None:
            self._open()
        self.file.write(data)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent)
        self.file = os.fdopen(descriptor, "wb")
        self.partial = Path(name)

    def close(self) -> None:
        if self.file is None:
            self._open()  # an input without records still gets its (empty) .out
        self.file.close()
        self.partial.chmod(0o644)
        os.replace(self.partial, self.path)
        _hand_back(self.root, self.path)

    def discard(self) -> None:
        if self.file is not None and not self.file.closed:
            self.file.close()
            self.partial.unlink(missing_ok=True)


def _hand_back(root: Path, path: Path) -> None:
    """In a container the runner is root: what it wrote goes to the output folder's owner, as entrypoint.py does."""
    if os.name != "posix" or os.geteuid() != 0:
        return
    owner = root.stat()
    for item in [path, *path.relative_to(root).parents][:-1]:
        os.chown(root / item, owner.st_uid, owner.st_gid)


class Progress:
    """One line every few seconds while the job runs (files, records, records/s, ETA), and a summary at the end."""

    EVERY = 5.0

    def __init__(self, total_bytes: int, files: int):
        self.total_bytes, self.files = max(total_bytes, 1), files
        self.done_files = self.records = self.bytes = 0
        self.started = self.shown = time.monotonic()

    def add(self, records: int, size: int) -> None:
        self.records += records
        self.bytes += size
        now = time.monotonic()
        if now - self.shown >= self.EVERY:
            self.shown = now
            elapsed = now - self.started
            eta = elapsed * (self.total_bytes - self.bytes) / max(self.bytes, 1)
            print(
                f"transform: {self.done_files}/{self.files} files, {self.records:,} records, "
                f"{self.records / elapsed:,.0f} records/s, ETA {eta:.0f} s",
                file=sys.stderr,
            )

    def file_done(self) -> None:
        self.done_files += 1

    def summary(self, output: Path) -> None:
        elapsed = time.monotonic() - self.started
        print(
            f"transform: done: {self.done_files} file(s), {self.records:,} records in {elapsed:.2f} s "
            f"({self.records / max(elapsed, 1e-9):,.0f} records/s); answers in {output}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
