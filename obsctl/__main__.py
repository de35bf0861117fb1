import sys

from obsctl.cli import main

sys.exit(main())
