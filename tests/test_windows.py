"""The Windows twins of bin/: every bin/*.sh command has a bin/*.bat that does the same, proven under a real cmd
interpreter (Debian's wine64 runs `cmd /c`).

How the twins are compared: each scenario runs the bash script, then its batch twin, each in its own copy of the
project in a folder with spaces and parentheses ("my project (2)"), from another folder. Every program a script
runs (docker, curl, python, wrk, nginx) is a stand-in that records its working folder and arguments and answers as
the scenario says (tests/windows/stub.py for bash; for cmd, real .exe files, distlib's launcher from pip, running
tests/windows/stub.cmd). Then the exit codes, stdout, stderr and the recorded calls must be equal once paths are
normalised (project root, \\ and /, Z:, .env.bat and .env, bin\\x.bat and bin/x.sh).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "bin"
STUBS = Path(__file__).resolve().parent / "windows"
EXAMPLE_INPUT = ROOT / "examples" / "iris" / "opt" / "ml" / "input"  # the framework's fixture, not the user's root
PROGRAMS = ("docker", "curl", "python", "wrk", "nginx")
# What the bash scripts run besides the stand-ins; nothing else is on their PATH (so `docker` can be missing).
SYSTEM_TOOLS = ("bash", "dirname", "cat", "cksum", "awk", "id", "tr", "sed", "grep", "mkdir")


def commands(suffix: str) -> set[str]:
    return {p.stem for p in BIN.glob(f"*{suffix}") if not p.name.startswith("_")}


def test_every_command_has_a_batch_twin():
    # bin/_common.sh is a library the scripts source, not a command: its twin bin/_common.bat is the one they call.
    assert sorted(commands(".sh") - commands(".bat")) == [], "bin/*.sh without a bin/*.bat twin"
    assert sorted(commands(".bat") - commands(".sh")) == [], "bin/*.bat without a bin/*.sh twin"
    assert (BIN / "_common.bat").is_file()


def test_batch_files_have_windows_line_ends():
    # cmd misreads labels (goto, call :label) in files with bare LF line ends.
    for path in [*BIN.glob("*.bat"), ROOT / ".env.bat.example"]:
        data = path.read_bytes()
        assert data.count(b"\n") == data.count(b"\r\n"), f"{path.name} has LF line ends: CRLF needed"


def settings(path: Path, prefix: str, comment: str) -> dict[str, tuple[str, bool]]:
    """NAME -> (default, commented out) of an env file's `NAME=value` lines."""
    found = {}
    for line in path.read_text().splitlines():
        commented = line.startswith(comment)
        line = line[len(comment) :].strip() if commented else line
        assignment = line[len(prefix) :]
        if assignment.startswith('"') and assignment.endswith('"'):  # batch's set "NAME=value", for a > or a &
            assignment = assignment[1:-1]
        if line.startswith(prefix) and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", assignment):
            name, value = assignment.split("=", 1)
            found[name] = (value.strip("'"), commented)  # bash's NAME='value', quoted for the same reasons
    return found


def test_env_bat_example_has_the_settings_of_env_example():
    bash = settings(ROOT / ".env.example", "", "#")
    batch = settings(ROOT / ".env.bat.example", "set ", "@rem")
    assert bash and batch == bash


# --- running the twins ----------------------------------------------------------------------------------------------


def windows_path(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")  # wine maps Z: to /


class Wine:
    def __init__(self, wine64: str, prefix: Path):
        self.wine64, self.prefix = wine64, prefix

    def env(self, **extra: str) -> dict:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "WINEPREFIX": str(self.prefix),
            "WINEDEBUG": "-all",
            "WINEDLLOVERRIDES": "mscoree,mshtml=",
            **extra,
        }

    def cmd(self, batch: str, cwd: Path, timeout: float = 90, **env: str) -> subprocess.CompletedProcess:
        # Output goes to files, not pipes: the wineserver that wine starts inherits them, and a pipe would only
        # close when the server stops, 3 s after the last program.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            done = subprocess.run(
                [self.wine64, "cmd", "/c", batch], cwd=cwd, env=self.env(**env), stdout=out, stderr=err, timeout=timeout
            )
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(done.args, done.returncode, out.read(), err.read())


@pytest.fixture(scope="session")
def wine(tmp_path_factory):
    wine64 = next((p for p in ("/usr/lib/wine/wine64", shutil.which("wine64")) if p and os.access(p, os.X_OK)), None)
    if not wine64:
        pytest.skip("wine64 is not installed (Debian: apt-get install wine64; .ci/wine-up.sh does it)")
    wine = Wine(wine64, tmp_path_factory.mktemp("wineprefix"))
    server = Path(wine64).with_name("wineserver")
    # One wineserver for the whole session (-p: it stays when the last program ends). By default each test's cmd
    # would find the server of the test before it 3 s from exiting, or gone, and start another: hundreds of starts.
    if server.exists():
        subprocess.run([str(server), "-p"], env=wine.env(), timeout=30, stdout=subprocess.DEVNULL, check=True)
    # The first start creates the prefix (10-30 s); every test after it reuses it.
    wine.cmd("exit 0", cwd=wine.prefix.parent, timeout=300).check_returncode()
    yield wine
    if server.exists():  # stops the wineserver of this prefix, and no other
        subprocess.run([str(server), "-k"], env=wine.env(), timeout=30, capture_output=True)


@pytest.fixture(scope="session")
def stand_ins(tmp_path_factory):
    """Where the stand-ins' common parts live: stub.py with this Python, and stub.cmd behind a launcher .exe."""
    folder = tmp_path_factory.mktemp("stand-ins")
    assert " " not in str(folder)  # the launcher's shebang names stub.cmd without quotes
    launcher = Path(__import__("pip").__file__).parent / "_vendor" / "distlib" / "t64.exe"
    if not launcher.exists():
        pytest.skip(f"{launcher} (distlib's Windows launcher, which the .exe stand-ins are made of) is missing")
    (folder / "stub.py").write_text(f"#!{sys.executable}\n" + (STUBS / "stub.py").read_text())
    (folder / "stub.py").chmod(0o755)
    shutil.copy(STUBS / "stub.cmd", folder / "stub.cmd")
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("__main__.py", "")  # the launcher wants an archive after its shebang; cmd never reads it
    shebang = f"#!C:\\windows\\system32\\cmd.exe /d /c {windows_path(folder / 'stub.cmd')}\r\n".encode()
    (folder / "stand-in.exe").write_bytes(launcher.read_bytes() + shebang + archive.getvalue())
    return folder


def split_windows(line: str) -> list[str]:
    """A command line split as a Windows program (docker.exe, python.exe) splits it: CommandLineToArgvW's rules."""
    args, current, quoted, backslashes, started = [], "", False, 0, False
    for char in line:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            current += "\\" * (backslashes // 2)
            if backslashes % 2:
                current += '"'
            else:
                quoted = not quoted
            backslashes, started = 0, True
            continue
        current += "\\" * backslashes
        backslashes = 0
        if char in " \t" and not quoted:
            if started or current:
                args.append(current)
            current, started = "", False
        else:
            current += char
    current += "\\" * backslashes
    if started or current:
        args.append(current)
    return args


class Run:
    def __init__(self, rc: int, stdout: str, stderr: str, calls: list):
        self.rc, self.stdout, self.stderr, self.calls = rc, stdout, stderr, calls

    def __repr__(self):
        return f"Run(rc={self.rc}, stdout={self.stdout!r}, stderr={self.stderr!r}, calls={self.calls!r})"


class Twins:
    """Two copies of the project, one per interpreter, and the scenario both scripts meet."""

    def __init__(self, base: Path, wine: Wine, stand_ins: Path):
        self.base, self.wine, self.stand_ins = base, wine, stand_ins
        self.elsewhere = base / "elsewhere"  # the scripts run from here: callable from any folder
        self.elsewhere.mkdir()
        self.roots = {side: base / side / "my project (2)" for side in ("sh", "bat")}
        for root in self.roots.values():
            (root / "opt" / "ml" / "input").mkdir(parents=True)
            shutil.copytree(BIN, root / "bin")
            shutil.copytree(ROOT / "develop", root / "develop")  # predict reads content-types.txt
            for name in ("requirements.txt", "requirements-dev.txt", ".env.example", ".env.bat.example"):
                shutil.copy(ROOT / name, root / name)
            shutil.copy(EXAMPLE_INPUT / "payload.json", root / "opt" / "ml" / "input")
        self.env_file(None)
        self.programs = set(PROGRAMS)
        self.from_root = False  # run as bin/x.sh and bin\\x.bat from the project's folder, instead of by full path
        self.answers: dict[str, str] = {}
        self.env: dict[str, str] = {}

    def env_file(self, settings: dict | None, **extra: str) -> None:
        """Writes .env and .env.bat: the examples' settings (None), none at all ({}), or these."""
        for root in self.roots.values():
            for name in (".env", ".env.bat"):
                (root / name).unlink(missing_ok=True)
            if settings is None and not extra:
                shutil.copy(root / ".env.example", root / ".env")
                shutil.copy(root / ".env.bat.example", root / ".env.bat")
            elif settings is not None:
                values = {**settings, **extra}
                (root / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
                (root / ".env.bat").write_text("".join(f"set {k}={v}\r\n" for k, v in values.items()))
            else:
                (root / ".env").write_text(
                    (root / ".env.example").read_text() + "".join(f"{k}={v}\n" for k, v in extra.items())
                )
                (root / ".env.bat").write_text(
                    (root / ".env.bat.example").read_text() + "".join(f"set {k}={v}\r\n" for k, v in extra.items())
                )

    def both(self, script: str, *args: str) -> tuple[Run, Run]:
        sh = self.run_sh(script, *args)
        return sh, self.run_bat_like(sh, script, *args)

    def run_bat_like(self, sh: Run, script: str, *args: str) -> Run:
        """The batch twin's run, once more when it differs from the bash twin's: wine also fails to start a program
        silently (cmd's errorlevel 9009, its words sent to nul), and the script then takes its error path. A real
        difference differs again; the warning keeps the run that differed once."""
        bat = self.run_bat(script, *args)
        if equal_but_call_order(sh, bat):
            return bat
        self.restore_bat_root()
        again = self.run_bat(script, *args)
        if equal_but_call_order(sh, again):
            warnings.warn(f"wine failed (a run differed once, then matched) in bin\\{script}.bat: {bat}", stacklevel=2)
        return again

    def scenario(self, side: str) -> Path:
        folder = self.base / f"scenario-{side}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name, text in self.answers.items():
            (folder / name).write_text(text)
        return folder

    def run_sh(self, script: str, *args: str) -> Run:
        stub = self.scenario("sh")
        path = stub / "bin"
        path.mkdir()
        for tool in SYSTEM_TOOLS:
            (path / tool).symlink_to(shutil.which(tool))
        for program in self.programs:
            (path / ("python3" if program == "python" else program)).symlink_to(self.stand_ins / "stub.py")
        root = self.roots["sh"]
        command = f"bin/{script}.sh" if self.from_root else str(root / "bin" / f"{script}.sh")
        done = subprocess.run(
            [command, *args],
            cwd=root if self.from_root else self.elsewhere,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": str(path), "HOME": str(self.base), "STUB_DIR": str(stub), **self.env},
        )
        log = stub / "calls.jsonl"
        calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        calls = [self.call(c["cwd"], c["argv"], root) for c in calls]
        return Run(done.returncode, self.text(done.stdout, root), self.text(done.stderr, root), calls)

    def run_bat(self, script: str, *args: str) -> Run:
        # Wine itself fails now and then, about once in a few thousand program starts here: cmd never starts, or a
        # stand-in that is on the PATH cannot be started. Such a run says nothing of the script: it runs again, from
        # the same project folder, and the warning keeps what wine did the first time.
        shutil.rmtree(self.bat_before, ignore_errors=True)
        shutil.copytree(self.roots["bat"], self.bat_before, symlinks=True)
        for attempt in (1, 2, 3):
            run, failure = self.run_bat_once(script, *args)
            if not failure:
                return run
            warnings.warn(f"wine failed ({failure}), attempt {attempt} of bin\\{script}.bat: {run}", stacklevel=2)
            self.restore_bat_root()
        return run

    @property
    def bat_before(self) -> Path:
        """The batch copy of the project as it was before the last run_bat began."""
        return self.base / "bat-before"

    def restore_bat_root(self) -> None:
        shutil.rmtree(self.roots["bat"])
        shutil.copytree(self.bat_before, self.roots["bat"], symlinks=True)

    def run_bat_once(self, script: str, *args: str) -> tuple[Run, str | None]:
        stub = self.scenario("bat")
        path = stub / "bin"
        path.mkdir()
        for program in self.programs:
            shutil.copy(self.stand_ins / "stand-in.exe", path / f"{program}.exe")
        root = self.roots["bat"]
        command = f"bin\\{script}.bat" if self.from_root else windows_path(root / "bin" / f"{script}.bat")
        line = subprocess.list2cmdline([command, *args])
        # cmd /c strips the quotes of a path with parentheses: a batch file says it as a person would type it. Its
        # first line shows that cmd started.
        driver = stub / "driver.bat"
        driver.write_text(f'@type nul >"%STUB_DIR%\\cmd-started"\r\n@{line}\r\n')
        done = self.wine.cmd(
            windows_path(driver),
            cwd=root if self.from_root else self.elsewhere,
            WINEPATH=windows_path(path),
            STUB_DIR=windows_path(stub),
            **self.env,
        )
        log = stub / "calls.log"
        calls = []
        for entry in log.read_text(errors="replace").splitlines() if log.exists() else []:
            cwd, _, command = entry.partition("*")
            calls.append(self.call(cwd, split_windows(command), root))
        out, err = (self.text(s.decode(errors="replace"), root) for s in (done.stdout, done.stderr))
        run = Run(done.returncode, out, err, calls)
        if not (stub / "cmd-started").exists():
            return run, "cmd did not start"
        # cmd's words when it cannot start a program, quoted or not: for a stand-in that is there, wine failed.
        for program in re.findall(r"Can't recognize '\"?([^\"' ]+)", err):
            if Path(program).stem in self.programs:
                return run, f"could not start the stand-in {program}"
        return run, None

    def normal(self, text: str, root: Path) -> str:
        text = text.replace(windows_path(root), "<ROOT>").replace(str(root), "<ROOT>")
        text = text.replace(windows_path(self.elsewhere), "<CWD>").replace(str(self.elsewhere), "<CWD>")
        return text.replace("\\", "/")

    def call(self, cwd: str, argv: list[str], root: Path) -> list[str]:
        program = self.normal(argv[0], root)
        if program.startswith("<ROOT>/.venv/"):
            program = "<venv python>"
        else:
            program = Path(program).stem.removesuffix("3")
        return [self.normal(cwd, root), program, *(self.normal(a, root) for a in argv[1:])]

    def text(self, text: str, root: Path) -> str:
        text = self.normal(text.replace("\r\n", "\n"), root)
        text = text.replace(".env.bat.example", ".env.example").replace(".env.bat", ".env")
        return re.sub(r"bin/([\w-]+)\.bat", r"bin/\1.sh", text)


@pytest.fixture
def twins(tmp_path, wine, stand_ins):
    return Twins(tmp_path, wine, stand_ins)


def equal_but_call_order(sh: Run, bat: Run) -> bool:
    return (bat.rc, bat.stdout, bat.stderr, sorted(bat.calls)) == (sh.rc, sh.stdout, sh.stderr, sorted(sh.calls))


def assert_same(sh: Run, bat: Run) -> None:
    assert (bat.rc, bat.stdout, bat.stderr, bat.calls) == (sh.rc, sh.stdout, sh.stderr, sh.calls), (sh, bat)


def assert_error(sh: Run, bat: Run, message: str) -> None:
    assert_same(sh, bat)
    # One line says what is wrong, last (progress lines may come before it).
    assert sh.rc != 0 and sh.stderr.endswith(f"error: {message}\n") and sh.stderr.count("error:") == 1, sh


def probe(twins) -> None:
    """bin\\probe.bat, in the batch copy only: it starts the python stand-in, as a script would."""
    (twins.roots["bat"] / "bin" / "probe.bat").write_text("@python --version\r\n")


def test_a_run_that_wine_failed_runs_again(twins, monkeypatch):
    """The harness's guard against wine's own failures (Twins.run_bat): when cmd did not start, or could not start a
    stand-in that is there, the run starts over from the project folder as it was, and a warning keeps the failure."""
    probe(twins)
    real, attempts = twins.wine.cmd, []

    def cmd(batch, cwd, **env):
        attempts.append(batch)
        if len(attempts) == 1:  # wine could not start cmd, after a file was left in the project
            (twins.roots["bat"] / "left-behind").touch()
            return subprocess.CompletedProcess([], 1, b"", b"")
        if len(attempts) == 2:  # a stand-in that wine cannot start
            (twins.base / "scenario-bat" / "bin" / "python.exe").write_bytes(b"MZ, and nothing that runs")
        return real(batch, cwd, **env)

    monkeypatch.setattr(twins.wine, "cmd", cmd)
    with pytest.warns(UserWarning) as warned:
        run = twins.run_bat("probe")
    assert [str(w.message).split(")")[0] for w in warned] == [
        "wine failed (cmd did not start",
        "wine failed (could not start the stand-in python",
    ]
    assert (len(attempts), run.rc, run.stderr, run.calls) == (3, 0, "", [["<CWD>", "python", "--version"]])
    assert not (twins.roots["bat"] / "left-behind").exists()


def test_a_program_that_is_missing_is_not_run_again(twins):
    probe(twins)
    twins.programs.discard("python")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = twins.run_bat("probe")
    assert run.rc != 0 and run.stderr.startswith("Can't recognize 'python --version'"), run


def quiet_probe(twins, bat_says: str) -> None:
    """bin/quiet-probe, twins that start python with its words sent away, as the scripts ask docker image inspect."""
    sh = twins.roots["sh"] / "bin" / "quiet-probe.sh"
    sh.write_text('#!/usr/bin/env bash\npython3 --version >/dev/null 2>&1 || { echo "python failed" >&2; exit 1; }\n')
    sh.chmod(0o755)
    bat = f"@python --version >nul 2>&1\r\n@if errorlevel 1 (>&2 echo {bat_says}& exit /b 1)\r\n"
    (twins.roots["bat"] / "bin" / "quiet-probe.bat").write_text(bat)


def test_a_run_that_differs_once_runs_again(twins, monkeypatch):
    """A stand-in that wine could not start, with cmd's words sent to nul, shows only as a run that differs."""
    quiet_probe(twins, "python failed")
    real, attempts = twins.wine.cmd, []

    def cmd(batch, cwd, **env):
        attempts.append(batch)
        if len(attempts) == 1:
            (twins.base / "scenario-bat" / "bin" / "python.exe").write_bytes(b"MZ, and nothing that runs")
        return real(batch, cwd, **env)

    monkeypatch.setattr(twins.wine, "cmd", cmd)
    with pytest.warns(UserWarning, match=r"wine failed \(a run differed once, then matched\)"):
        sh, bat = twins.both("quiet-probe")
    assert_same(sh, bat)
    assert (len(attempts), sh.rc, sh.calls) == (2, 0, [["<CWD>", "python", "--version"]])


def test_a_real_difference_stays(twins):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a run that ran again and then matched would warn
        quiet_probe(twins, "python failed")
        twins.programs.discard("python")
        sh, bat = twins.both("quiet-probe")
        assert_same(sh, bat)  # both failed alike, at once: nothing ran twice
        quiet_probe(twins, "python broke")
        sh, bat = twins.both("quiet-probe")
    assert (sh.stderr, bat.stderr) == ("python failed\n", "python broke\n")


# --- the Docker scripts -----------------------------------------------------------------------------------------------

DOCKER = ("docker info", "docker image inspect")


def sources(script: str, text: str) -> bool:
    return text in (BIN / f"{script}.sh").read_text()


TWINS = sorted(commands(".sh") & commands(".bat"))
COMMON = [s for s in TWINS if sources(s, "_common.sh")]
# bin/predict.sh needs no image: it runs without .env (against bin/local.sh's server as well).
NEEDS_ENV = [s for s in COMMON if not sources(s, "ENV_FILE_OPTIONAL=1")]
REQUIRE_DOCKER = [s for s in COMMON if sources(s, "\nrequire_docker")]
REQUIRE_DEV = [s for s in COMMON if sources(s, 'require_image "$DEV"')]


@pytest.mark.parametrize("script", NEEDS_ENV)
def test_no_env_file(twins, script):
    twins.env_file({})
    for root in twins.roots.values():
        (root / ".env").unlink()
        (root / ".env.bat").unlink()
    sh, bat = twins.both(script)
    assert_error(sh, bat, "<ROOT>/.env is missing: copy .env.example to .env and set DOCKER_NAME")
    assert sh.calls == []


@pytest.mark.parametrize("script", NEEDS_ENV)
def test_docker_name_unset(twins, script):
    twins.env_file({"DOCKER_NAME": "", "HOST_PORT": "8080"})
    assert_error(*twins.both(script), "DOCKER_NAME is not set in <ROOT>/.env")


def test_docker_name_goes_to_docker_which_says_what_is_wrong(twins):
    """Neither twin checks DOCKER_NAME's form: docker does, where it first reads the name, and its reason is shown."""
    twins.env_file({"DOCKER_NAME": "My-Algorithm"})
    twins.answers["docker-build.rc"] = "125"
    twins.answers["docker-build.err"] = (
        'invalid argument "My-Algorithm:dev-base" for "-t, --tag" flag: invalid reference format: repository name '
        "(library/My-Algorithm) must be lowercase\n"
    )
    sh, bat = twins.both("docker-build")
    assert_same(sh, bat)
    assert sh.rc == 125 and sh.stderr == twins.answers["docker-build.err"]
    assert sh.calls[1][2:] == [
        "build",
        "--build-arg",
        "BASE_IMAGE=python:3.11-slim-bookworm",
        "--label",
        "sagemaker-template.project=My-Algorithm",
        "-f",
        "<ROOT>/Dockerfile",
        "-t",
        "My-Algorithm:dev-base",
        "<ROOT>",
    ]


@pytest.mark.parametrize("script", REQUIRE_DOCKER)
def test_docker_not_installed(twins, script):
    twins.programs.discard("docker")
    sh, bat = twins.both(script)
    assert_same(sh, bat)
    assert sh.rc != 0


@pytest.mark.parametrize("script", REQUIRE_DOCKER)
def test_docker_engine_not_running(twins, script):
    twins.answers["docker-info.rc"] = "1"
    sh, bat = twins.both(script)
    assert_same(sh, bat)
    assert sh.rc != 0


@pytest.mark.parametrize("script", REQUIRE_DEV)
def test_image_not_built(twins, script):
    twins.answers["docker-image-inspect.rc"] = "1"
    sh, bat = twins.both(script)
    assert_error(sh, bat, "image sagemaker-algorithm:dev does not exist: run bin/docker-build.sh")
    assert [c[1:4] for c in sh.calls] == [["docker", "info"], ["docker", "image", "inspect"]]


def test_the_errors_say_what_to_do(twins):
    twins.programs.discard("docker")
    assert_error(*twins.both("train"), "docker is not installed: install Docker (https://docs.docker.com/get-docker/)")
    twins.programs.add("docker")
    twins.answers["docker-info.rc"] = "1"
    assert_error(*twins.both("train"), "the Docker engine is not running (docker info failed): start Docker and retry")


def dev_run(*, env: str = "") -> list[str]:
    return [
        "--rm",
        "--label",
        "sagemaker-template.project=sagemaker-algorithm",
        "-v",
        "<ROOT>:/opt/program",
        "-v",
        "<ROOT>/opt/ml:/opt/ml",
        *env.split(),
    ]


def test_train(twins):
    twins.answers["docker-run.rc"] = "2"  # a failed job's exit code is the script's
    twins.env = {"SAGEMAKER_PROGRAM": "x", "SAGEMAKER_BIND_TO_PORT": "9000"}
    sh, bat = twins.both("train")
    assert_same(sh, bat)
    assert sh.rc == 2
    assert sh.calls[-1] == [
        "<CWD>",
        "docker",
        "run",
        *dev_run(env="-e SAGEMAKER_BIND_TO_PORT -e SAGEMAKER_PROGRAM"),
        "sagemaker-algorithm:dev",
        "train",
    ]


def cluster_run(module: str, *, env: str = "") -> list[str]:
    """The docker run options, image and module of a local job on several hosts (bin/train.sh, bin/process.sh
    --instances): the engine's socket and the project's folder on the machine that runs the engine."""
    return [
        *dev_run(env=env),
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-e",
        "HOST_PROJECT=<ROOT>",
        "-e",
        "DOCKER_NAME=sagemaker-algorithm",
        "-e",
        "DEV_IMAGE=sagemaker-algorithm:dev",
        "-e",
        "PYTHONPATH=/opt/program",
        "--entrypoint",
        "/opt/venv/bin/python",
        "sagemaker-algorithm:dev",
        "-P",
        "-m",
        module,
    ]


def test_train_on_several_instances(twins):
    """--instances and --cpus go to develop/local/training/cluster.py in the :dev image, with the engine's socket and
    the project's folder on the machine that runs the engine (where the hosts' mounts are)."""
    twins.answers["docker-run.rc"] = "1"
    twins.env = {"SAGEMAKER_PROGRAM": "x"}
    cluster = cluster_run("develop.local.training.cluster", env="-e SAGEMAKER_PROGRAM")
    for args, passed in [
        (["--instances", "3", "--cpus", "1.5"], ["--instances", "3", "--cpus", "1.5"]),
        (["--cpus", "2"], ["--cpus", "2"]),
        (["--instances"], ["--instances", ""]),  # the missing value: cluster.py says so, with the usage line
    ]:
        sh, bat = twins.both("train", *args)
        assert_same(sh, bat)
        assert sh.rc == 1 and sh.calls[-1] == ["<CWD>", "docker", "run", *cluster, *passed]
    sh, bat = twins.both("train", "--instances", "3", "more")
    assert_same(sh, bat)
    assert (sh.rc, sh.stderr) == (2, f"error: unknown argument 'more': {REFUSED['train']}\n")
    assert sh.calls == []


def test_serve(twins):
    twins.env_file(None, HOST_PORT="9090")
    twins.env = {"SAGEMAKER_BIND_TO_PORT": "8081"}
    sh, bat = twins.both("serve")
    assert_same(sh, bat)
    assert sh.calls[-1][2:] == [
        "run",
        *dev_run(env="-e SAGEMAKER_BIND_TO_PORT"),
        "-p",
        "127.0.0.1:9090:8081",
        "sagemaker-algorithm:dev",
        "serve",
    ]


def test_serve_a_folder_of_models(twins):
    for root in twins.roots.values():
        (root / "my models").mkdir()
    twins.from_root = True
    sh, bat = twins.both("serve", "--models", "my models")
    assert_same(sh, bat)
    assert sh.calls[-1][2:] == [
        "run",
        *dev_run(),
        "-v",
        "<ROOT>/my models:/opt/ml/models",
        "-e",
        "SAGEMAKER_MULTI_MODEL=true",
        "-p",
        "127.0.0.1:8080:8080",
        "sagemaker-algorithm:dev",
        "serve",
    ]
    assert sh.stderr == (
        "serving on http://127.0.0.1:8080 (the models in <ROOT>/my models: bin/predict.sh --model NAME); Ctrl-C stops\n"
    )
    assert all((root / "opt" / "ml" / "models").is_dir() for root in twins.roots.values())


def test_serve_models_needs_a_folder(twins):
    assert_error(
        *twins.both("serve", "--models", "nowhere"),
        "--models needs a folder with one sub-folder per model; 'nowhere' is not a folder",
    )


def test_train_from_the_project_folder(twins):
    twins.from_root = True
    sh, bat = twins.both("train")
    assert_same(sh, bat)
    assert sh.calls[-1][0] == "<ROOT>"
    assert sh.calls[-1][-3:] == ["<ROOT>/opt/ml:/opt/ml", "sagemaker-algorithm:dev", "train"]


def test_shell_with_a_command(twins):
    sh, bat = twins.both("shell", "-c", "python main.py train")
    assert_same(sh, bat)
    assert sh.calls[-1][-5:] == ["--entrypoint", "bash", "sagemaker-algorithm:dev", "-c", "python main.py train"]


def test_shell_alone_gets_a_terminal_in_batch(twins):
    # bash adds -it when stdin and stdout are terminals (not here); batch cannot tell, so a shell always gets one.
    sh, bat = twins.both("shell")
    assert sh.calls[-1][-3:] == ["--entrypoint", "bash", "sagemaker-algorithm:dev"]
    assert bat.calls[-1] == [*sh.calls[-1][:-3], "-it", *sh.calls[-1][-3:]]


def test_docker_build(twins):
    twins.answers["docker-image-ls.out"] = "REPOSITORY   TAG\nsagemaker-algorithm   dev\n"
    sh, bat = twins.both("docker-build", "--no-cache", "--build-arg", "A=b c")
    assert_same(sh, bat)
    assert sh.stdout == twins.answers["docker-image-ls.out"] and len(sh.calls) == 4
    assert sh.calls[1][2:] == [
        "build",
        "--build-arg",
        "BASE_IMAGE=python:3.11-slim-bookworm",
        "--label",
        "sagemaker-template.project=sagemaker-algorithm",
        "-f",
        "<ROOT>/Dockerfile",
        "-t",
        "sagemaker-algorithm:dev-base",
        "--no-cache",
        "--build-arg",
        "A=b c",
        "<ROOT>",
    ]


def test_docker_build_stops_at_a_failed_build(twins):
    twins.answers["docker-build.rc"] = "1"
    sh, bat = twins.both("docker-build")
    assert_same(sh, bat)
    assert sh.rc == 1 and len(sh.calls) == 2


def test_docker_destroy(twins):
    twins.answers["docker-ps.out"] = "c1\nc2\n"
    twins.answers["docker-image-ls.out"] = "i1\ni2\ni1\n"
    twins.answers["docker-network-ls.out"] = "n1\nn2\n"  # training clusters' networks, left by killed runs
    sh, bat = twins.both("docker-destroy")
    assert_same(sh, bat)
    assert sh.stderr == "removed 2 container(s) and the images of sagemaker-algorithm\n"
    assert [c[2:] for c in sh.calls if c[2:4] in (["rm", "-f"], ["network", "rm"], ["image", "rm"])] == [
        ["rm", "-f", "c1", "c2"],
        ["network", "rm", "n1", "n2"],
        ["image", "rm", "-f", "i1", "i2"],
    ]
    assert ["docker", "network", "ls", "-q", "--filter", "label=sagemaker-template.project=sagemaker-algorithm"] in [
        c[1:] for c in sh.calls
    ]


def test_docker_destroy_when_images_stay(twins):
    twins.answers["docker-image-ls.out"] = "i1\ni2\n"
    twins.answers["images-stuck"] = ""
    sh, bat = twins.both("docker-destroy")
    assert_error(sh, bat, "could not remove images i1 i2: see docker image rm i1 i2")
    assert sum(c[2:4] == ["image", "rm"] for c in sh.calls) == 5


# --- transform: the runner in the :dev image ---------------------------------------------------------------------

TRANSFORM_RUNNER = [
    "-e",
    "PYTHONPATH=/opt/program",
    "--entrypoint",
    "/opt/venv/bin/python",
    "sagemaker-algorithm:dev",
    "-P",
    "-m",
    "develop.local.transform.runner",
    "/opt/transform/input",
    "/opt/transform/output",
    "--serve-command",
    "/opt/venv/bin/python /usr/local/lib/sagemaker-standin/entrypoint.py serve",
]


def transform_folders(twins, *names: str) -> None:
    for root in twins.roots.values():
        for name in names:
            (root / name).mkdir(parents=True, exist_ok=True)


def test_transform(twins):
    transform_folders(twins, "transform/input")
    twins.answers["docker-run.rc"] = "3"  # the runner's exit code is the script's
    twins.env = {"SAGEMAKER_MODEL_SERVER_WORKERS": "2"}
    sh, bat = twins.both("transform")
    assert_same(sh, bat)
    assert sh.rc == 3
    assert sh.calls[-1][1:] == [
        "docker",
        "run",
        *dev_run(env="-e SAGEMAKER_MODEL_SERVER_WORKERS"),
        "-v",
        "<ROOT>/transform/input:/opt/transform/input:ro",
        "-v",
        "<ROOT>/transform/output:/opt/transform/output",
        *TRANSFORM_RUNNER,
    ]
    for root in twins.roots.values():
        assert (root / "transform" / "output").is_dir()


def test_transform_with_folders_and_settings(twins):
    transform_folders(twins, "data in", "results")
    twins.from_root = True
    # (cmd splits arguments at commas too: on Windows, a filter such as "$[0,5:]" is typed in double quotes.)
    settings = ["--SplitType", "Line", "--Accept", "text/csv", "--InputFilter", "$[1:]", "--OutputFilter", "$['id']"]
    sh, bat = twins.both("transform", "data in", "results", *settings)
    assert_same(sh, bat)
    assert sh.calls[-1][-len(TRANSFORM_RUNNER) - 4 - len(settings) :] == [
        "-v",
        "<ROOT>/data in:/opt/transform/input:ro",
        "-v",
        "<ROOT>/results:/opt/transform/output",
        *TRANSFORM_RUNNER,
        *settings,
    ]


def test_transform_takes_the_same_arguments_with_and_without_docker(twins):
    # bin/transform.sh mounts the folders and hands the runner their mount points; bin/local.sh transform hands it
    # the folders themselves: the same argument list means the same job.
    transform_folders(twins, "data in", "results")
    twins.from_root = True
    arguments = ["data in", "results", "--SplitType", "Line", "--Accept", "text/csv"]
    docker, _ = twins.both("transform", *arguments)
    local, _ = twins.both("local", "transform", *arguments)
    runner = docker.calls[-1][docker.calls[-1].index("develop.local.transform.runner") + 1 :]
    mounts = {"/opt/transform/input": "data in", "/opt/transform/output": "results"}
    assert [mounts.get(a, a) for a in runner if not a.startswith("/opt/venv/")] == [
        "data in",
        "results",
        "--serve-command",
        *arguments[2:],
    ]
    assert local.calls[-1][1:] == ["<venv python>", "-P", "-m", "develop.local.transform.runner", *arguments]


REFUSED = {
    "train": "usage: bin/train.sh [--instances N] [--cpus CPUS]",
    "serve": "usage: bin/serve.sh [--models FOLDER]",
    "docker-destroy": "usage: bin/docker-destroy.sh",
    "predict": "usage: bin/predict.sh [--model NAME] [PAYLOAD_FILE [ACCEPT]]",
    "smoke": "usage: bin/smoke.sh",
}


@pytest.mark.parametrize("script", sorted(REFUSED))
def test_an_argument_a_command_does_not_take_is_refused(twins, script):
    sh, bat = twins.both(script, "--no-such-flag")
    assert_same(sh, bat)
    assert (sh.rc, sh.stderr) == (2, f"error: unknown argument '--no-such-flag': {REFUSED[script]}\n")
    assert not [call for call in sh.calls if call[1] == "docker"]  # refused before Docker is even asked


def test_extra_arguments_are_refused(twins):
    for script, args, extra in [
        ("serve", ["--models", "m", "more"], "more"),
        ("predict", ["a.json", "application/json", "third"], "third"),
    ]:
        sh, bat = twins.both(script, *args)
        assert_same(sh, bat)
        assert (sh.rc, sh.stderr) == (2, f"error: unknown argument '{extra}': {REFUSED[script]}\n")
    sh, bat = twins.both("local", "train", "--instances", "3")
    assert_same(sh, bat)
    assert sh.rc == 2 and sh.stderr.startswith("error: unknown argument '--instances': usage: bin/local.sh [train")
    assert sh.calls == []  # not even setup


def test_transform_errors(twins):
    assert_error(
        *twins.both("transform"),
        "input folder <ROOT>/transform/input does not exist: put the files to transform in it",
    )
    transform_folders(twins, "transform/input")
    twins.from_root = True
    assert_error(
        *twins.both("transform", "transform/input", "transform/input/out"),
        "the output folder <ROOT>/transform/input/out is inside the input folder: choose another",
    )
    for root in twins.roots.values():
        assert not (root / "transform" / "input" / "out").exists()


# --- the development tools: their Python in the :dev image ---------------------------------------------------------


def test_algorithm_spec(twins):
    args = (
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/algo:1.2.0",
        "--role",
        "arn:aws:iam::1:role/r",
        "--out",
        "my spec",
    )
    sh, bat = twins.both("algorithm-spec", *args)
    assert_same(sh, bat)
    assert sh.calls[-1] == [
        "<CWD>",
        "docker",
        "run",
        *dev_run(),
        "-e",
        "PYTHONPATH=/opt/program",
        "--entrypoint",
        "/opt/venv/bin/python",
        "sagemaker-algorithm:dev",
        "-P",
        "-m",
        "develop.sagemaker.algorithm_spec",
        *args,
    ]


def test_smoke_runs_the_release_code_in_the_dev_base_image(twins):
    """The image a release pushes, with its own code: only opt/ml and the smoke test's code are mounted."""
    twins.answers["docker-run.rc"] = "1"
    sh, bat = twins.both("smoke")
    assert_same(sh, bat)
    assert sh.rc == 1 and sh.calls[-1] == [
        "<CWD>",
        "docker",
        "run",
        "--rm",
        "--label",
        "sagemaker-template.project=sagemaker-algorithm",
        "-v",
        "<ROOT>/opt/ml:/opt/ml",
        "-v",
        "<ROOT>/develop:/opt/smoke/develop:ro",
        "-e",
        "PYTHONPATH=/opt/smoke",
        "-e",
        "PROJECT_DIR=/",
        "--entrypoint",
        "/opt/venv/bin/python",
        "sagemaker-algorithm:dev-base",
        "-P",
        "-m",
        "develop.release.smoke",
        "--serve-command",
        "/opt/venv/bin/python /opt/program/main.py serve",
    ]


def test_algorithm_spec_passes_its_exit_code(twins):
    twins.answers["docker-run.rc"] = "2"
    sh, bat = twins.both("algorithm-spec")
    assert_same(sh, bat)
    assert sh.rc == 2


def test_tune(twins):
    args = ("--trials", "3", "--seed", "7", "--out", "my trials")
    twins.env = {"SAGEMAKER_PROGRAM": "x"}
    sh, bat = twins.both("tune", *args)
    assert_same(sh, bat)
    assert sh.calls[-1] == [
        "<CWD>",
        "docker",
        "run",
        *dev_run(env="-e SAGEMAKER_PROGRAM"),
        "-e",
        "PYTHONPATH=/opt/program",
        "-e",
        "ML_ROOT=/opt/program/opt/ml",
        "--entrypoint",
        "/opt/venv/bin/python",
        "sagemaker-algorithm:dev",
        "-P",
        "-m",
        "develop.local.training.tune",
        *args,
    ]


def test_example(twins):
    sh, bat = twins.both("example", "topics", "--force")
    assert_same(sh, bat)
    assert sh.calls[-1] == [
        "<CWD>",
        "docker",
        "run",
        *dev_run(),
        "-e",
        "PYTHONPATH=/opt/program",
        "--entrypoint",
        "/opt/venv/bin/python",
        "sagemaker-algorithm:dev",
        "-P",
        "-m",
        "develop.local.example",
        "topics",
        "--force",
    ]


def test_example_passes_its_exit_code(twins):
    twins.answers["docker-run.rc"] = "1"
    sh, bat = twins.both("example", "iris")
    assert_same(sh, bat)
    assert sh.rc == 1


def test_tune_passes_its_exit_code(twins):
    twins.answers["docker-run.rc"] = "1"
    sh, bat = twins.both("tune")
    assert_same(sh, bat)
    assert sh.rc == 1


# --- predict: curl ------------------------------------------------------------------------------------------------


def test_predict(twins):
    twins.answers["curl--s.out"] = '{"predictions": ["setosa"]}'
    sh, bat = twins.both("predict")
    assert_same(sh, bat)
    assert sh.stdout == '{"predictions": ["setosa"]}\n'
    assert sh.calls[0][1:] == [
        "curl",
        "-s",
        "--fail-with-body",
        "-H",
        "Content-Type: application/json",
        "-H",
        "Accept: application/json",
        "--data-binary",
        "@<ROOT>/opt/ml/input/payload.json",
        "http://127.0.0.1:8080/invocations",
    ]


def test_predict_needs_no_env_file(twins):
    """Against the server bin/local.sh starts (127.0.0.1:8080), before any .env exists."""
    twins.env_file({})
    for root in twins.roots.values():
        (root / ".env").unlink()
        (root / ".env.bat").unlink()
    twins.answers["curl--s.out"] = '{"predictions": [1.5]}'
    sh, bat = twins.both("predict")
    assert_same(sh, bat)
    assert sh.rc == 0 and sh.stdout == '{"predictions": [1.5]}\n'
    assert sh.calls[0][-1] == "http://127.0.0.1:8080/invocations"
    assert "predict" not in NEEDS_ENV and "train" in NEEDS_ENV


def test_predict_csv(twins):
    for root in twins.roots.values():
        (root / "rows.csv").write_text("5.1,3.5,1.4,0.2\n")
    twins.env_file(None, HOST_PORT="9090")
    # Run as bin/predict.sh and bin\\predict.bat from the project's folder, the payload path relative to it.
    twins.from_root = True
    sh, bat = twins.both("predict", "rows.csv", "text/csv")
    assert_same(sh, bat)
    assert sh.calls[0][1:] == [
        "curl",
        "-s",
        "--fail-with-body",
        "-H",
        "Content-Type: text/csv",
        "-H",
        "Accept: text/csv",
        "--data-binary",
        "@rows.csv",
        "http://127.0.0.1:9090/invocations",
    ]


@pytest.mark.parametrize(
    "rc, message",
    [
        ("7", "no server on 127.0.0.1:8080: start one with bin/serve.sh"),
        ("22", "the server answered with an HTTP error (its message is above)"),
        ("6", "curl failed with exit code 6"),
    ],
)
def test_predict_fails(twins, rc, message):
    twins.answers["curl--s.rc"] = rc
    twins.answers["curl--s.out"] = '{"error": "no"}' if rc == "22" else ""
    sh, bat = twins.both("predict")
    assert_error(sh, bat, message)


def test_predict_one_model_of_a_multi_model_server(twins):
    twins.answers["curl--w.out"] = '{"status": "model \'m-1\' loaded"}200\n'
    twins.answers["curl--s.out"] = '{"predictions": ["setosa"]}'
    sh, bat = twins.both("predict", "--model", "m-1")
    assert_same(sh, bat)
    assert sh.stdout == '{"predictions": ["setosa"]}\n'
    assert sh.calls[0][1:] == [
        "curl",
        "-w",
        "@-",
        "-s",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        '{"model_name": "m-1", "url": "/opt/ml/models/m-1"}',
        "http://127.0.0.1:8080/models",
    ]
    assert sh.calls[1][-1] == "http://127.0.0.1:8080/models/m-1/invoke"
    twins.answers["curl--w.out"] = '{"error": "model \'m-1\' is already loaded"}409\n'
    twins.from_root = True
    sh, bat = twins.both("predict", "--model", "m-1", "opt/ml/input/payload.json", "text/csv")
    assert_same(sh, bat)
    assert sh.rc == 0 and sh.calls[1][-1] == "http://127.0.0.1:8080/models/m-1/invoke"
    assert sh.calls[1][-5:-1] == ["-H", "Accept: text/csv", "--data-binary", "@opt/ml/input/payload.json"]


def test_predict_a_model_that_does_not_load(twins):
    reason = """{"error": "model 'm' could not be loaded from /opt/ml/models/m: ValueError: no"}"""
    twins.answers["curl--w.out"] = reason + "500\n"
    assert_error(*twins.both("predict", "--model", "m"), f"model m could not be loaded: {reason}")


@pytest.mark.parametrize("name", ["", "a b", "a/b", "a:b"])
def test_predict_model_needs_a_plain_name(twins, name):
    assert_error(*twins.both("predict", "--model", name), "--model needs the name of a sub-folder of the models folder")


def test_predict_model_without_a_server(twins):
    twins.answers["curl--w.rc"] = "7"
    twins.answers["curl--w.out"] = "000\n"
    twins.answers["curl--s.rc"] = "7"
    sh, bat = twins.both("predict", "--model", "m")
    assert_error(sh, bat, "no server on 127.0.0.1:8080: start one with bin/serve.sh")


def test_predict_without_payload_or_curl(twins):
    assert_error(*twins.both("predict", "missing.json"), "payload file missing.json not found")
    twins.programs.discard("curl")
    assert_error(*twins.both("predict"), "curl is not installed: install curl")


# --- the scripts without Docker: python ---------------------------------------------------------------------------


def python_names(run: Run) -> Run:
    # The default interpreter: python3 on Linux and macOS, python on Windows (the python.org installer's name).
    run.stderr = run.stderr.replace("python3 ", "python ")
    return run


def test_setup(twins):
    sh, bat = twins.both("setup")
    assert_same(sh, bat)
    assert [c[1:3] for c in sh.calls] == [["python", "-c"], ["python", "-m"], ["<venv python>", "-m"]]
    assert sh.calls[2][3:] == [
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--require-hashes",
        "-r",
        "<ROOT>/requirements-dev.txt",
    ]
    assert sh.stderr == "creating <ROOT>/.venv\ninstalling the pinned requirements into <ROOT>/.venv\n"
    # Again: nothing to do. Then a changed requirements file: installed again.
    sh, bat = twins.both("setup")
    assert_same(sh, bat)
    assert len(sh.calls) == 1 and sh.stderr == ""
    for root in twins.roots.values():
        with open(root / "requirements-dev.txt", "a") as f:
            f.write("extra==1.0\n")
    sh, bat = twins.both("setup")
    assert_same(sh, bat)
    assert sh.stderr == "installing the pinned requirements into <ROOT>/.venv\n"


def test_setup_errors(twins):
    twins.programs.discard("python")
    assert_error(
        python_names(twins.run_sh("setup")),
        twins.run_bat("setup"),
        "python not found: install Python 3.11 or newer (or set PYTHON=...)",
    )
    twins.programs.add("python")
    twins.answers.update({"python--c.rc": "1", "python---version.out": "Python 3.9.2\n"})
    assert_error(
        *twins.both("setup"), "Python 3.9.2 is too old: the pinned packages need Python 3.11 or newer (set PYTHON=...)"
    )
    twins.answers = {"python--m-pip.rc": "1"}
    assert_error(*twins.both("setup"), "pip could not install requirements-dev.txt (see above)")


def test_local(twins):
    sh, bat = twins.both("local")
    assert_same(sh, bat)
    assert [c[1:] for c in sh.calls[3:]] == [
        ["<venv python>", "<ROOT>/main.py", "train"],
        ["<venv python>", "<ROOT>/main.py", "serve"],
    ]
    sh, bat = twins.both("local", "serve")
    assert_same(sh, bat)
    assert [c[1:] for c in sh.calls[1:]] == [["<venv python>", "<ROOT>/main.py", "serve"]]


def test_local_stops_when_training_fails(twins):
    twins.answers["python-main-train.rc"] = "2"
    sh, bat = twins.both("local")
    assert_same(sh, bat)
    assert sh.rc == 2 and sh.calls[-1][-1] == "train"


def test_local_usage(twins):
    sh, bat = twins.both("local", "predict")
    assert_same(sh, bat)
    assert sh.rc == 2 and sh.stderr == (
        "usage: bin/local.sh [train|serve|transform|tune|algorithm-spec|smoke|postman|process|example [ARGUMENTS]]"
        "  (no argument: train, then serve)\n"
    )


@pytest.mark.parametrize(
    ("step", "module"),
    [
        ("tune", "develop.local.training.tune"),
        ("algorithm-spec", "develop.sagemaker.algorithm_spec"),
        ("smoke", "develop.release.smoke"),
        ("postman", "develop.local.postman"),
    ],
)
def test_local_tools(twins, step, module):
    sh, bat = twins.both("local", step, "--out", "my folder")
    assert_same(sh, bat)
    assert sh.rc == 0 and sh.calls[-1][1:] == ["<venv python>", "-P", "-m", module, "--out", "my folder"]


def test_local_transform(twins):
    sh, bat = twins.both("local", "transform", "--SplitType", "Line", "--Accept", "text/csv")
    assert_same(sh, bat)
    assert sh.calls[-1][1:] == [
        "<venv python>",
        "-P",
        "-m",
        "develop.local.transform.runner",
        "--SplitType",
        "Line",
        "--Accept",
        "text/csv",
    ]


def test_local_example(twins):
    sh, bat = twins.both("local", "example", "diabetes", "--force")
    assert_same(sh, bat)
    assert sh.calls[-1][1:] == ["<venv python>", "-P", "-m", "develop.local.example", "diabetes", "--force"]


def test_test(twins):
    sh, bat = twins.both("test", "-k", "serving and not slow")
    assert_same(sh, bat)
    parallel = ["--numprocesses", "4", "--dist", "loadgroup"]
    assert sh.calls[-1] == ["<ROOT>", "<venv python>", "-m", "pytest", "-rs", *parallel, "-k", "serving and not slow"]
    sh, bat = twins.both("test", "-p", "no:xdist", "-x")  # in one process, for debugging
    assert_same(sh, bat)
    assert sh.calls[-1] == ["<ROOT>", "<venv python>", "-m", "pytest", "-rs", "-p", "no:xdist", "-x"]


def test_benchmark(twins):
    sh, bat = twins.both("benchmark", "--quick")
    assert_same(sh, bat)
    # bin/setup.sh makes the .venv (none in this project copy), then the benchmark runs with its Python.
    assert [c[1:] for c in sh.calls[-2:]] == [
        [
            "<venv python>",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "-r",
            "<ROOT>/requirements-dev.txt",
        ],
        ["<venv python>", "<ROOT>/bench/run.py", "--quick"],
    ]


def test_benchmark_without_wrk(twins):
    twins.programs.discard("wrk")
    assert_error(
        *twins.both("benchmark"), "the benchmark needs wrk: install it (Debian/Ubuntu: sudo apt-get install wrk)"
    )


# --- bin/sagemaker.sh: develop/sagemaker in the :dev image's AWS venv ------------------------------------------------

# aws_run_args: this machine as host.docker.internal, where an emulator on its localhost is (emulator.py)
AWS_RUN = ["--add-host", "host.docker.internal:host-gateway"]
SAGEMAKER_RUN = [
    "-i",
    "-e",
    "PROJECT_DIR=/opt/program",
    "-e",
    "PYTHONPATH=/opt/program",
]


def sagemaker_run(workdir: str, *args: str) -> list[str]:
    return [
        *SAGEMAKER_RUN,
        "-w",
        workdir,
        "--entrypoint",
        "/opt/aws/bin/python",
        "sagemaker-algorithm:dev",
        "-P",
        "-m",
        "develop.sagemaker",
        *args,
    ]


def test_sagemaker_passes_aws_variables_and_settings_by_name_only(twins):
    twins.env_file(None, EXECUTION_ROLE="arn:aws:iam::123456789012:role/R", S3_BUCKET="my-bucket")
    # Fake values; what matters is that none of them reaches a command line.
    twins.env = {"AWS_PROFILE": "dev", "AWS_REGION": "eu-west-1", "AWS_SECRET_ACCESS_KEY": "fake-secret-value"}
    twins.answers["docker-run.rc"] = "2"  # the command's exit code is the script's
    sh, bat = twins.both("sagemaker", "deploy", "--canary", "10", "--alarm", "my alarm")
    assert_same(sh, bat)
    assert sh.rc == 2
    assert sh.calls[-1] == [
        "<CWD>",
        "docker",
        "run",
        *dev_run(),
        *AWS_RUN,
        *"-e AWS_PROFILE -e AWS_REGION -e AWS_SECRET_ACCESS_KEY -e DOCKER_NAME -e EXECUTION_ROLE -e S3_BUCKET".split(),
        "-v",
        "<CWD>:/opt/cwd",  # run from outside the project: relative paths are the current folder's
        *sagemaker_run("/opt/cwd", "deploy", "--canary", "10", "--alarm", "my alarm"),
    ]
    assert not any(value in json.dumps(sh.calls) for value in ("fake-secret-value", "eu-west-1", "my-bucket"))


def test_sagemaker_from_the_project_folder_works_there(twins):
    twins.from_root = True
    sh, bat = twins.both("sagemaker", "predict", "opt/ml/input/payload.json")
    assert_same(sh, bat)
    assert sh.calls[-1] == [
        "<ROOT>",
        "docker",
        "run",
        *dev_run(),
        *AWS_RUN,
        "-e",
        "DOCKER_NAME",
        *sagemaker_run("/opt/program", "predict", "opt/ml/input/payload.json"),
    ]


def test_sagemaker_passes_every_setting_config_reads(twins):
    """The names the twins pass are the ones develop/sagemaker/config.py reads, each one when it is set."""
    from develop.sagemaker.config import ENVIRONMENT, PRODUCTION  # stdlib only: importable without boto3

    names = set(ENVIRONMENT.values()) | set(PRODUCTION.values())
    twins.env_file(None, **{name: "x" for name in names})
    sh, bat = twins.both("sagemaker", "status")
    assert_same(sh, bat)
    passed = {sh.calls[-1][i + 1] for i, arg in enumerate(sh.calls[-1]) if arg == "-e"}
    assert names | {"DOCKER_NAME"} <= passed
    # and .env.example documents each of them (the batch example is checked against it above)
    assert names | {"AWS_REGION", "AWS_PROFILE"} <= set(settings(ROOT / ".env.example", "", "#"))


def test_sagemaker_mounts_the_aws_folder_read_only(twins):
    """~/.aws holds the profiles AWS_PROFILE names: mounted read-only when it exists (bash: $HOME; batch:
    %USERPROFILE%, which wine sets to its own profile folder, checked here on the bash side)."""
    (twins.base / ".aws").mkdir()
    call = twins.run_sh("sagemaker", "status").calls[-1]
    mount = f"{twins.base}/.aws:/root/.aws:ro"
    assert mount in call and call[call.index(mount) - 1] == "-v"


def test_sagemaker_from_a_folder_in_the_project_works_there(twins):
    for root in twins.roots.values():
        (root / "my data").mkdir()
    twins.elsewhere = twins.roots["sh"] / "my data"
    sh = twins.run_sh("sagemaker", "predict", "rows.csv")
    twins.elsewhere = twins.roots["bat"] / "my data"
    bat = twins.run_bat_like(sh, "sagemaker", "predict", "rows.csv")
    assert_same(sh, bat)
    assert sh.calls[-1][0] == "<ROOT>/my data"
    assert sh.calls[-1][-15:] == sagemaker_run("/opt/program/my data", "predict", "rows.csv")


def test_sagemaker_refuses_a_word_that_is_no_command_before_docker(twins):
    sh, bat = twins.both("sagemaker", "deplyo", "--yes")
    assert_same(sh, bat)
    assert sh.rc == 2 and sh.calls == []
    assert sh.stderr == (
        "error: unknown argument 'deplyo': usage: bin/sagemaker.sh "
        "train|deploy|predict|transform|process|status|destroy [options]   (COMMAND --help: its options)\n"
    )
