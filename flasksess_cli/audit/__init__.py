"""``audit``: could anyone guess the secret key, from the key itself or from something it signed?

* :mod:`.strength`: ``audit key``, how guessable a key is (entropy and patterns).
* :mod:`.known_keys`: published keys, each with where it was published (``known_keys.json``).
* :mod:`.candidates`: what a line or a published key can mean; the default candidates of ``audit cookie``.
* :mod:`.search`: ``audit cookie``, the search for the key behind a cookie.
* :mod:`.wordlists`: opening wordlists, reading them in chunks of whole lines, shards.
* ``_scan`` (``_scan.c``, optional): the C search kernel; :mod:`.scan`: its pure-Python twin.
* :mod:`.workers`: the engine: threads around the kernel, or a process pool around the twin.
* :mod:`.hashcat`: the hand-off to hashcat for searches too large for one machine.
"""
