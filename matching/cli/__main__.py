"""``python -m matching.cli``: the ``leadflow`` command line."""

from matching.cli import main

if __name__ == "__main__":
    main()
