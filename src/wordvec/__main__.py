"""`python -m wordvec` runs the command-line interface."""

import sys

from wordvec.cli import main

sys.exit(main())
