"""`python -m generator` runs the dealbook command line."""

import sys

from .cli import main

sys.exit(main())
