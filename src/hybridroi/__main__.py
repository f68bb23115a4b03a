"""``python -m hybridroi``: the same as the ``hybridroi`` command."""

import sys

from hybridroi.cli import main

sys.exit(main())
