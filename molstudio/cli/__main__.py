"""``python -m molstudio.cli``: the same as ``molstudio-cli``."""

import sys

from molstudio.cli import main

sys.exit(main())
