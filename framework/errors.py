"""Exceptions that cross the line between the framework and algorithm.py."""


class InputError(ValueError):
    """Raise from predict when the request's data is unusable: the caller gets 400 and this message."""


class ConfigError(Exception):
    """The job's configuration (hyperparameters, channels, environment) is wrong; nothing the algorithm did."""


class JobStopped(BaseException):
    """Raised in the training code when SageMaker stops the job (SIGTERM) or the user presses Ctrl-C.

    A BaseException, like KeyboardInterrupt, so that an algorithm's `except Exception` does not swallow it while its
    `finally` blocks still run. Catch it only to save a checkpoint, then re-raise.
    """

    def __init__(self, signum: int, name: str):
        super().__init__(f"stopped by {name}")
        self.signum = signum
