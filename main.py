"""The container's entry point. SageMaker starts it as `docker run IMAGE train` or `docker run IMAGE serve`, and a
processing job as `docker run IMAGE process [ARGS]` (its ContainerArguments: ["process", ...]).

    python main.py train            fit algorithm.py on /opt/ml/input, write the model to /opt/ml/model
    python main.py serve            answer /ping and /invocations on port 8080 with algorithm.py's predict
    python main.py process [ARGS]   run algorithm.py's process on /opt/ml/processing's inputs and outputs

Anything else, no argument included, prints this usage and exits 2: a processing job whose ContainerArguments are
empty runs the image with no argument, and then fails saying so in its ExitMessage, instead of guessing.

ML_ROOT moves /opt/ml (e.g. ML_ROOT=opt/ml to use this repository's sample tree without Docker).
The framework itself is the folder framework/; the algorithm is algorithm.py, with its helpers in lib/.
"""

import os
import sys

USAGE = "usage: python main.py {train|serve|process [ARGS]}"
HOOKS = {"train": ("Hyperparameters", "train"), "serve": ("initialize", "predict"), "process": ("process",)}
# Present in a processing job only: where its ExitMessage goes.
PROCESSING_CONFIG = "config/processingjobconfig.json"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else None
    if command not in HOOKS or (command != "process" and len(argv) > 2):
        print(USAGE, file=sys.stderr)
        _explain_to_processing_job(argv[1:])
        return 2
    if command == "serve" and sys.platform == "win32":
        print(
            "serve: gunicorn runs on Linux and macOS only; on Windows, serve in Docker with bin\\serve.bat",
            file=sys.stderr,
        )
        return 2
    if command == "serve":
        # Before anything else is imported: gevent must patch ssl and socket before any library captures them.
        from importlib import metadata

        from gevent import monkey

        # gevent looks for plugins in every installed package's entry points at each of the ~25 steps of patching:
        # ~0.2 s of the server's start. One look gives the same answer (nothing is installed meanwhile).
        scan, installed = metadata.entry_points, metadata.entry_points()
        metadata.entry_points = lambda **selection: installed.select(**selection)
        try:
            monkey.patch_all()
        finally:
            metadata.entry_points = scan
        # Before NumPy and the algorithm's libraries load: OpenMP and BLAS read their pools' sizes once, then.
        from framework.cpus import size_thread_pools_per_worker

        size_thread_pools_per_worker()

    from framework import logs
    from framework.errors import ConfigError

    try:
        logs.configure()
        bad_setting = None
    except ConfigError as exc:  # logging works meanwhile; reported where each command reports its settings' errors
        bad_setting = exc

    def load_algorithm():
        if bad_setting is not None:
            raise bad_setting
        import algorithm

        missing = [hook for hook in HOOKS[command] if not hasattr(algorithm, hook)]
        if missing:
            raise ConfigError(f"algorithm.py defines no {', '.join(missing)}, which `{command}` needs")
        return algorithm

    if command == "train":
        from framework.training import job

        return job.run(load_algorithm)
    if command == "process":
        from framework.processing import job

        return job.run(load_algorithm, argv[2:])
    from framework.serving import gunicorn_server

    try:
        code = gunicorn_server.run(load_algorithm)  # gunicorn exits the process itself once it has started
    except ConfigError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        code = 2
    # Not a normal exit: it would wait for any thread the model's initialize started and left running, forever.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _explain_to_processing_job(arguments: list[str]) -> None:
    # SageMaker shows a processing job's output/message as its ExitMessage: the one place its user looks.
    root = os.environ.get("ML_ROOT", "/opt/ml")
    if not os.path.isfile(os.path.join(root, PROCESSING_CONFIG)):
        return
    message = (
        f"the image got the arguments {arguments} but takes train, serve or process [ARGS]: a processing job runs it "
        'with ContainerArguments ["process", ...]'
    )
    try:
        os.makedirs(os.path.join(root, "output"), exist_ok=True)
        with open(os.path.join(root, "output", "message"), "w") as file:
            file.write(message + "\n")
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv))
