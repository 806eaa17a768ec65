"""`python -m feeds` is the `osce-feeds` command."""

import sys

from feeds.cli import main

sys.exit(main())
