"""``decode``, ``verify`` and ``sign``: Flask session cookies read, checked and written as Flask does.

* :mod:`.cookie`: the cookie format, decoding, verification and signing.
* :mod:`.session_json`: the JSON forms of a session (Flask's tagged JSON, flasksess's typed JSON, Python literals).
"""
