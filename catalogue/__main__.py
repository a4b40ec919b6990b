import sys

from catalogue.cli import main

sys.exit(main())
