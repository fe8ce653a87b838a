"""``python -m flasksess_cli`` behaves exactly like the ``flasksess`` command."""

from flasksess_cli.cli import main

if __name__ == "__main__":
    main()
