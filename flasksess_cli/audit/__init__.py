"""``audit``: could anyone guess the secret key, from the key itself or from something it signed?

* :mod:`.strength`: ``audit key``, how guessable a key is (entropy and patterns).
* :mod:`.known_keys`: published keys, each with where it was published (``known_keys.json``).
* :mod:`.search`: ``audit cookie``, the search for the key behind a cookie.
* :mod:`.wordlists`: opening wordlists and reading them in whole-line blocks.
* :mod:`.scan`: the hot loop, a block of lines in, the line whose key made the signature out.
* :mod:`.workers`: the parallel engine (worker processes fed through a bounded queue).
* :mod:`.hashcat`: the hand-off to hashcat for searches too large for one machine.
"""
