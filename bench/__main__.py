"""``python -m bench``: the runtime benchmark (prints a table, then one JSON line)."""

import sys

from bench.runtime_bench import main

sys.exit(main(sys.argv[1:]))
