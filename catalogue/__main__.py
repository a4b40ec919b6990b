import sys

from catalogue.commands.cli import main

sys.exit(main())
