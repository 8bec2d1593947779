from __future__ import annotations

import sys

from bench.run import main

main(sys.argv[1:])
