"""The names and tags of the SageMaker resources this project makes (training and transform jobs, models, endpoint
configurations, endpoints, model package groups): one place, so that every command names and tags them alike."""

import time

from .config import Config

TAG_KEY = "sagemaker-template:project"  # its value, the project's name, is what the console and cost reports group by


def unique_name(config: Config, kind: str = "") -> str:
    """A name SageMaker accepts (at most 63 characters), unique to the millisecond and readable in the console
    (SageMaker refuses a name that exists): <project>[-<kind>]-<UTC date>-<time>-<milliseconds>."""
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + f"-{int(now * 1000) % 1000:03d}"
    return f"{config.name}{'-' + kind if kind else ''}-{stamp}"[:63]


def tags(config: Config) -> list[dict]:
    """The Tags of every resource this project makes: what says it is this project's."""
    return [{"Key": TAG_KEY, "Value": config.name}]
