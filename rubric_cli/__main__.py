"""`python -m rubric_cli` runs the `rubric` command."""

import sys

from rubric_cli.main import main

sys.exit(main())
