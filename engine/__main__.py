"""``python -m engine``: the ``toonflow`` command line."""

from .cli import main

raise SystemExit(main())
