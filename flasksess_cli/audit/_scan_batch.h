/* One batch of candidates (one per lane) through the key derivation and the HMAC.
 *
 * A template: _scan.c includes it once for 32-bit words (SHA-1, SHA-224, SHA-256) and once for
 * 64-bit words (SHA-384, SHA-512), after defining
 *   W            the word type
 *   BATCH(x)     the name of function x for this word size
 *   LOAD_BE(p)   a big-endian word from bytes
 *   WORDS(u)     the member of a words_t union holding this word size
 * The engine's functions (c->ops) do the hashing; everything here is packing keys into message
 * blocks and moving digests between lanes' blocks, in "structure of arrays" layout (word i of
 * lane l at [i * lanes + l]).
 */

/* Lane l's key block: the key (at most a block) zero-padded. */
static inline void BATCH(pack_lane)(W *kb, int l, int nl, const uint8_t *p, size_t n)
{
    const size_t ws = sizeof(W);
    size_t i = 0;
    for (; (i + 1) * ws <= n; i++)
        kb[i * nl + l] = LOAD_BE(p + i * ws);
    if (i < 16 && n > i * ws) {
        W v = 0;
        for (size_t k = i * ws; k < n; k++)
            v |= (W)p[k] << (8 * (ws - 1 - (k - i * ws)));
        kb[i++ * nl + l] = v;
    }
    for (; i < 16; i++)
        kb[i * nl + l] = 0;
}

/* Lane l's HMAC key block: the key zero-padded to a block, or its digest when it is longer. */
static void BATCH(key_block)(const scanner_t *c, W *kb, int l, int nl, const uint8_t *p, size_t n)
{
    if (n <= (size_t)c->block) {
        BATCH(pack_lane)(kb, l, nl, p, n);
        return;
    }
    W st[16]; /* 8 used; 16 so that the loop below reads inside it */
    memcpy(st, WORDS(c->iv), 8 * sizeof(W));
    scalar_hash(c, st, 0, p, n, NULL, 0);
    for (int i = 0; i < 16; i++)
        kb[i * nl + l] = i < c->digest_words ? st[i] : 0;
}

/* si, so = the inner and outer HMAC states of key blocks kb (words from kwords on are zero). */
static void BATCH(hmac_init)(const scanner_t *c, const W *kb, int kwords, W *si, W *so, W *blk)
{
    const int nl = c->ops.lanes, sw = c->state_words;
    if (c->ops.hmac_init) {
        c->ops.hmac_init(WORDS(c->iv), kb, kwords, si, so);
        return;
    }
    const W *iv = WORDS(c->iv);
    for (int p = 0; p < 2; p++) {
        const W pad = p ? (W)0x5c5c5c5c5c5c5c5cull : (W)0x3636363636363636ull;
        W *st = p ? so : si;
        for (int i = 0; i < 16 * nl; i++)
            blk[i] = (i < kwords * nl ? kb[i] : 0) ^ pad;
        for (int i = 0; i < sw; i++)
            for (int l = 0; l < nl; l++)
                st[i * nl + l] = iv[i];
        c->ops.var(st, blk);
    }
}

/* so = the outer hash of the inner digest in si. */
static void BATCH(outer)(const scanner_t *c, W *so, const W *si, W *blk)
{
    const int nl = c->ops.lanes, dw = c->digest_words;
    const uint64_t bits = ((uint64_t)c->block + (uint64_t)dw * sizeof(W)) * 8;
    if (c->ops.outer) {
        c->ops.outer(so, si, dw, bits);
        return;
    }
    memcpy(blk, si, (size_t)dw * nl * sizeof(W));
    for (int i = dw; i < 16; i++) {
        const W v = i == dw ? (W)1 << (sizeof(W) * 8 - 1) : i == 15 ? (W)bits : 0;
        for (int l = 0; l < nl; l++)
            blk[i * nl + l] = v;
    }
    c->ops.var(so, blk);
}

/* so = HMAC(key blocks kb, constant message m) in every lane; si and blk are scratch. */
static void BATCH(hmac)(const scanner_t *c, const W *kb, int kwords, const sched_t *m, W *si, W *so, W *blk)
{
    BATCH(hmac_init)(c, kb, kwords, si, so, blk);
    c->ops.chain(si, m);
    BATCH(outer)(c, so, si, blk);
}

/* kb = H(prefix + key) ("concat" and "django-concat"), its first digest_words rows. The prefix's
 * whole blocks are in c->mid already; a lane whose message spans more than CONCAT_BLOCKS blocks is
 * hashed alone. */
static void BATCH(concat)(const scanner_t *c, const uint8_t *const *key, const size_t *len, int n, W *kb,
                          W *st, W *blk)
{
    const int nl = c->ops.lanes, sw = c->state_words, dw = c->digest_words, B = c->block;
    const size_t t = c->tail_len, lenbytes = 2 * sizeof(W);
    uint8_t msg[MAX_LANES][CONCAT_BLOCKS * 128];
    int nb[MAX_LANES], most = 0;
    for (int l = 0; l < nl; l++) {
        const uint8_t *p = l < n ? key[l] : NULL;
        const size_t kl = l < n ? len[l] : 0;
        const size_t blocks = (t + kl + 1 + lenbytes + B - 1) / B;
        if (blocks > CONCAT_BLOCKS) {
            W one[8];
            memcpy(one, WORDS(c->mid), 8 * sizeof(W));
            scalar_hash(c, one, c->prefix_full, c->tail, t, p, kl);
            for (int i = 0; i < dw; i++)
                kb[i * nl + l] = one[i];
            nb[l] = 0;
            continue;
        }
        nb[l] = (int)blocks;
        if (nb[l] > most)
            most = nb[l];
        uint8_t *q = msg[l];
        const size_t end = blocks * B;
        memset(q, 0, end);
        memcpy(q, c->tail, t);
        if (kl)
            memcpy(q + t, p, kl);
        q[t + kl] = 0x80;
        store_be64(q + end - 8, (c->prefix_full + t + kl) * 8);
    }
    const W *mid = WORDS(c->mid);
    for (int i = 0; i < sw; i++)
        for (int l = 0; l < nl; l++)
            st[i * nl + l] = mid[i];
    for (int j = 0; j < most; j++) {
        for (int l = 0; l < nl; l++)
            for (int i = 0; i < 16; i++)
                blk[i * nl + l] = nb[l] > j ? LOAD_BE(msg[l] + j * B + i * sizeof(W)) : 0;
        c->ops.var(st, blk);
        for (int l = 0; l < nl; l++)
            if (nb[l] == j + 1)
                for (int i = 0; i < dw; i++)
                    kb[i * nl + l] = st[i * nl + l];
    }
}

/* The first lane among the first n whose key makes the signature, or -1. */
static int BATCH(batch)(const scanner_t *c, const uint8_t *const *key, const size_t *len, int n)
{
    const int nl = c->ops.lanes, dw = c->digest_words;
    ALIGNED(64) W kb[16 * MAX_LANES];
    ALIGNED(64) W si[8 * MAX_LANES];
    ALIGNED(64) W so[8 * MAX_LANES];
    ALIGNED(64) W blk[16 * MAX_LANES];
    int kwords = 16;
    if (c->deriv == DERIV_CONCAT) {
        BATCH(concat)(c, key, len, n, kb, si, blk);
        kwords = dw;
    } else {
        int fits = c->ops.pack != NULL;
        for (int l = 0; l < n && fits; l++)
            fits = len[l] <= (size_t)c->block;
        if (fits)
            c->ops.pack(kb, key, len, n);
        else
            for (int l = 0; l < nl; l++)
                BATCH(key_block)(c, kb, l, nl, l < n ? key[l] : NULL, l < n ? len[l] : 0);
        if (c->deriv == DERIV_HMAC) {
            BATCH(hmac)(c, kb, 16, &c->salt, si, so, blk);
            memcpy(kb, so, (size_t)dw * nl * sizeof(W));
            kwords = dw;
        }
    }
    BATCH(hmac)(c, kb, kwords, &c->msg, si, so, blk);
    const W *sig = WORDS(c->sig);
    for (int l = 0; l < n; l++) {
        if (so[l] != sig[0])
            continue;
        int i = 1;
        while (i < dw && so[i * nl + l] == sig[i])
            i++;
        if (i == dw)
            return l;
    }
    return -1;
}
