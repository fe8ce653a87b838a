"""flasksess inside other programs (Flask's own CLI, pytest, an intercepting proxy): thin doors onto the library.

Each integration imports its host program lazily and holds no business logic.
"""
