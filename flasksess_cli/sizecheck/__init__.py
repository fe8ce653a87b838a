"""``sizecheck``: will a session cookie survive browsers and servers?

* :mod:`.limits`: the one table of limits, each with its source (``sizecheck --limits``).
* :mod:`.set_cookie`: the Set-Cookie header exactly as Werkzeug writes it; sizes in wire bytes.
* :mod:`.browsers`: one cookie against the per-cookie limits (4096 bytes, attributes, prefixes, Flask's warning).
* :mod:`.servers`: the Cookie request header against each server's limit; cookies per domain.
* :mod:`.pricing`: a session's cookie, and what each of its keys costs in it.
* :mod:`.advice`: what to do about a cookie near or past a limit.
* :mod:`.report`: one run's result, and the checks that make each checked cookie.
* :mod:`.sources`: where the cookies come from: pasted text, a session, a URL, a HAR export.
* :mod:`.jar` and :mod:`.http`: the browser-like cookie jar and the HTTP client of ``--url``.
"""
