"""One log format for training and serving: timestamped lines on stderr, never buffered.

CloudWatch keeps what the container wrote before it died, so nothing may sit in a buffer.
"""

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def configure() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    logging.basicConfig(level=logging.INFO, format=FORMAT, stream=sys.stderr, force=True)
