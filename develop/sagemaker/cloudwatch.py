"""A training or processing job's CloudWatch logs, every host's stream, printed as they arrive between two status
polls."""

import sys

from botocore.exceptions import ClientError

GROUP = "/aws/sagemaker/TrainingJobs"  # one stream per host: <job>/algo-N-<epoch>
PROCESSING_GROUP = "/aws/sagemaker/ProcessingJobs"  # streams named alike


class LogTail:
    def __init__(self, logs, job: str, out=None, group: str = GROUP):
        self.logs, self.job, self.out, self.group = logs, job, out or sys.stderr, group
        self.tokens: dict[str, str | None] = {}

    def poll(self) -> int:
        """Prints what every host logged since the last poll, each line after its host's name; returns how many."""
        printed = 0
        for stream in self._streams():
            host = stream.removeprefix(self.job + "/").rsplit("-", 1)[0]  # algo-1-1700000000 -> algo-1
            while True:
                args = {"logGroupName": self.group, "logStreamName": stream, "startFromHead": True}
                if self.tokens.get(stream):
                    args["nextToken"] = self.tokens[stream]
                page = self.logs.get_log_events(**args)
                for event in page["events"]:
                    print(f"[{host}] {event['message'].rstrip()}", file=self.out, flush=True)
                    printed += 1
                # The forward token stays the same once the stream's end is reached.
                done = page.get("nextForwardToken") in (None, self.tokens.get(stream))
                self.tokens[stream] = page.get("nextForwardToken")
                if done or not page["events"]:
                    break
        return printed

    def _streams(self) -> list[str]:
        names = []
        try:
            pages = self.logs.get_paginator("describe_log_streams").paginate(
                logGroupName=self.group, logStreamNamePrefix=self.job + "/"
            )
            for page in pages:
                names += [s["logStreamName"] for s in page["logStreams"]]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":  # no log yet: the job is starting
                raise
        return sorted(names)
