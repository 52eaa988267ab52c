"""python -m develop.sagemaker COMMAND [options]: bin/sagemaker.sh's entry point, run from the project's folder."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
