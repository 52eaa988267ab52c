"""The servers the benchmark compares, each started on 127.0.0.1 and stopped, with all its children, on exit.

- framework: `python main.py serve` from a temporary copy of the project with a benchmark algorithm, as `serve`
  starts it in the container (gunicorn, gevent workers), without Docker;
- classic: nginx in front of gunicorn sync workers on a unix socket, running bench/classic/predictor.py;
- floor: bench/floor/app.py on gunicorn with the framework's gevent settings.
"""

import ctypes
import http.client
import os
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
HOST = "127.0.0.1"
BATCHING = "framework+batching"  # the stack name of `main.py serve` with ADAPTIVE_BATCHING = True
# One copy of each helper: the framework's CPU count, and the tests' project copy and free ports.
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from framework.settings import cpus  # noqa: E402,F401 (bench/run.py imports it from here)
from projects import EXAMPLE, EXAMPLE_DIR, Project, example_of, free_port  # noqa: E402,F401 (likewise EXAMPLE)


def die_with_parent() -> None:
    # Safety net for a benchmark killed with SIGKILL, which runs no cleanup: the kernel then sends SIGTERM to the
    # servers it started (Linux only; elsewhere the normal cleanup below is all there is).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Processes:
    """Every server process the benchmark starts, each in its own process group, so that stopping one stops its
    workers too (gunicorn's and nginx's), and nothing outlives the benchmark, on errors and Ctrl-C included."""

    def __init__(self):
        self.running: list[subprocess.Popen] = []

    def start(self, args: list[str], log: Path, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
        with open(log, "ab") as out:  # a file, not a pipe: a pipe nobody reads would block a chatty server
            process = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 25) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)  # graceful, as SageMaker stops a container
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # workers that outlived their master, if any
        except (ProcessLookupError, PermissionError):
            pass
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.running)):
            self.stop(process)


def ping(port: int, timeout: float = 2.0) -> int:
    """One GET /ping over a fresh connection, as a health checker does; returns the status."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", "/ping")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_ready(port: int, processes: list[subprocess.Popen], log: Path, timeout: float = 60) -> float:
    """Seconds until the first /ping 200; raises with the server's log when it dies or never answers."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}; its log ({log}):\n{_tail(log)}")
        try:
            if ping(port, timeout=5) == 200:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"server gave no /ping 200 within {timeout:.0f} s; its log ({log}):\n{_tail(log)}")


def algorithm_start(log_text: str) -> dict[str, float]:
    """The algorithm's own part of a server's start, as the server logged it: importing algorithm.py in the master,
    and initialize (the first worker's, when each worker loads its own model). Timed in the very start being
    measured, so that subtracting them leaves the framework's part without the noise of a second process."""
    imported = re.findall(r"algorithm\.py imported in ([0-9.]+) s", log_text)
    loaded = re.findall(r"model loaded from \S+ in ([0-9.]+) s", log_text)
    if not imported or not loaded:
        raise RuntimeError(f"the server's log says nothing of its import and model load:\n{log_text[-2000:]}")
    return {"import_s": float(imported[0]), "initialize_s": min(map(float, loaded))}


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


@dataclass
class Stack:
    name: str  # framework, classic or floor
    model: str  # tree, forest, trivial or - (floor)
    port: int
    processes: list[subprocess.Popen] = field(default_factory=list)
    log: Path | None = None

    @property
    def label(self) -> str:
        return self.name if self.model == "-" else f"{self.name} / {self.model}"


def serve_env(project: Project, port: int, workers: int) -> dict:
    return project.env(SERVE_HOST=HOST, SAGEMAKER_BIND_TO_PORT=str(port), SAGEMAKER_MODEL_SERVER_WORKERS=str(workers))


def start_framework(
    procs: Processes, project: Project, model: str, workers: int, logs: Path, name: str = "framework"
) -> Stack:
    port = free_port()
    log = logs / f"{name}-{model}.log"
    process = procs.start(project.command("serve"), log, env=serve_env(project, port, workers))
    return Stack(name, model, port, [process], log)


def checkout(ref: str, folder: Path) -> Path:
    """The files `serve` runs (main.py, framework/, lib/) and the iris example (examples/iris; algorithm.py and
    opt/ml/input in a commit from before examples/) as they are at a git commit."""
    git = ["git", "-C", str(ROOT)]
    listed = subprocess.run([*git, "ls-tree", "--name-only", ref, "examples/iris"], capture_output=True)
    example = ["examples/iris"] if listed.stdout.strip() else ["algorithm.py", "opt/ml/input"]
    names = ["main.py", "framework", "lib", *example]
    archive = subprocess.run([*git, "archive", ref, *names], capture_output=True)
    if archive.returncode != 0:
        raise RuntimeError(f"--baseline {ref}: git archive failed: {archive.stderr.decode().strip()}")
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def _gunicorn(*args: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", *args]


def start_floor(procs: Processes, workers: int, logs: Path) -> Stack:
    port = free_port()
    log = logs / "floor.log"
    # The framework's own gunicorn settings (framework/serving/gunicorn_server.py): gevent workers, no access log.
    args = _gunicorn(
        "--worker-class",
        "gevent",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--graceful-timeout",
        "20",
        "--timeout",
        "60",
        "--chdir",
        str(BENCH / "floor"),
        "app:app",
    )
    if os.path.isdir("/dev/shm"):
        args[-1:-1] = ["--worker-tmp-dir", "/dev/shm"]
    process = procs.start(args, log, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return Stack("floor", "-", port, [process], log)


def start_classic(procs: Processes, model: str, model_path: Path, workers: int, folder: Path, logs: Path) -> Stack:
    """gunicorn sync workers on a unix socket behind nginx, as the AWS sample's serve script starts them."""
    folder.mkdir(parents=True)
    port, sock = free_port(), folder / "gunicorn.sock"
    log = logs / f"classic-{model}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MODEL_PATH": str(model_path)}
    gunicorn = procs.start(
        _gunicorn(
            "--worker-class",
            "sync",
            "--workers",
            str(workers),
            "--bind",
            f"unix:{sock}",
            "--timeout",
            "60",
            "--chdir",
            str(BENCH / "classic"),
            "predictor:app",
        ),
        log,
        env=env,
    )
    template = string.Template((BENCH / "classic" / "nginx.conf.template").read_text())
    # As root, nginx's workers would drop to 'nobody', who cannot open the socket in our folder: keep root's.
    user_line = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(template.substitute(dir=folder, port=port, socket=sock, user_line=user_line))
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir()
    nginx = procs.start(
        [shutil.which("nginx") or "nginx", "-p", str(folder), "-c", str(conf), "-e", str(folder / "nginx-error.log")],
        log,
    )
    return Stack("classic", model, port, [gunicorn, nginx], log)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def timed_train(project: Project) -> float:
    """`main.py train`, as the container runs it; returns its wall time."""
    started = time.perf_counter()
    done = project.train(timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"main.py train failed ({done.returncode}) in {project.folder}:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started


def run_section(name: str, measure: Callable[[Path, Path, Processes], str]) -> int:
    """A part of the benchmark run on its own (--multi-model, --memory): `measure(work, logs, procs)` returns its
    table, written to bench/results/<name>.md and printed. SIGTERM and SIGHUP unwind as Ctrl-C does, so that every
    server it started is stopped and its temporary folder removed, on errors too."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda num, _frame: sys.exit(128 + num))
    work = Path(tempfile.mkdtemp(prefix=f"sagemaker-bench-{name}-"))
    logs = BENCH / "results" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs = Processes()
    try:
        table = measure(work, logs, procs)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"benchmark failed: {exc}\n(server logs in {logs})", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    out = BENCH / "results" / f"{name}.md"
    out.write_text(table)
    print(table)
    say(f"written to {out}")
    return 0
