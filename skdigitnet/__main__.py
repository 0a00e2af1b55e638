"""Run the command line: ``python -m skdigitnet``."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
