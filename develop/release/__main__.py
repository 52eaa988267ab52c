"""`python -P -m develop.release VERSION ...`: bin/release.sh's stages in the :dev image, from push on (pipeline.py)."""

import sys

from .pipeline import main

sys.exit(main(sys.argv[1:]))
