"""The "Environment:" line of each command's help: what it reads from the environment.

Plain strings, imported at every start-up.
"""

ENV_KEY = "Environment: FLASK_SECRET_KEY (the key, when neither -k nor --key-file is given), NO_COLOR (no colour)."
ENV_COLOUR = "Environment: NO_COLOR (no colour in human output)."
ENV_NONE = "Environment: none read."
