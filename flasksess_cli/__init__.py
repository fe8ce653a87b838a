"""flasksess: a command-line tool for Flask secret keys and session cookies."""
