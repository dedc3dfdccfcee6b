"""`python -m generator` runs the dealbook command line."""

from .cli import run

run()
