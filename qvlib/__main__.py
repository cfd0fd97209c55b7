"""``python -m qvlib``: the same as the ``qv`` command."""

from qvlib.cli import main

raise SystemExit(main())
