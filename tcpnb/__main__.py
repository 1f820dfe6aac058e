"""``python -m tcpnb``: see :mod:`tcpnb.cli`."""

import sys

from .cli import main

sys.exit(main())
