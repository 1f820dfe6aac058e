"""Run the command line of :mod:`tcpnb.cli` as ``python -m tcpnb``."""

import sys

from .cli import main

sys.exit(main())
