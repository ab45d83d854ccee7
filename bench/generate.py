"""``python bench/generate.py SLUG [options]``: a generated municipality in the bench database.

The command of ``bench/generator`` (``--help`` lists its options); it creates and migrates its
own database and never writes into the application's.
"""

from __future__ import annotations

import benchlib  # noqa: F401  (puts the repository first on sys.path)

from bench.generator import generate_command

if __name__ == "__main__":
    generate_command()
