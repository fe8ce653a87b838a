/* Multi-buffer SHA-1, SHA-256 and SHA-512: one candidate per vector lane.
 *
 * A template: _scan.c includes it once per instruction set, after defining
 *   SIMD_TARGET           the function attribute enabling the instruction set
 *   SIMD_NAME(x)          the name of function x for this instruction set
 *   V, L32, L64           the vector type; lanes of 32-bit and of 64-bit words
 *   SHA1_GROUPS           vectors per SHA-1 batch (2: the constant-message rounds of two
 *                         groups interleave, which pays where rotates and three-input logic are
 *                         single instructions)
 *   V_LOAD(p) V_STORE(p, v) V_XOR(a, b)
 *   V_ADD32 V_SET32 V_ROL32 V_ROR32 V_SHR32     (32-bit lanes)
 *   V_ADD64 V_SET64 V_ROR64 V_SHR64             (64-bit lanes)
 *   V_XOR3(a, b, c) V_CH(a, b, c) V_MAJ(a, b, c) (bitwise, any lane width)
 *
 * State and message blocks are "structure of arrays": word i of lane l is at [i * lanes + l],
 * already decoded from big-endian bytes. Per family (sha1, sha256, sha512):
 *   *_var        compress one block per lane (each lane its own message);
 *   *_chain      compress the blocks of one constant message, whose schedule (K + W per round) was
 *                computed once per search, into every lane's state;
 *   *_hmac_init  a key block's inner and outer HMAC states (key ^ ipad, key ^ opad from the IV),
 *                the key's words past kwords being zero;
 *   *_outer      the outer hash's one block: the inner digest, padded, built in registers.
 */

#ifndef SCAN_SIMD_ROUNDS
#define SCAN_SIMD_ROUNDS

#define REP4(M, t) M(t) M((t) + 1) M((t) + 2) M((t) + 3)
#define REP16(M, t) REP4(M, t) REP4(M, (t) + 4) REP4(M, (t) + 8) REP4(M, (t) + 12)
#define REP20(M, t) REP16(M, t) REP4(M, (t) + 16)

/* SHA-1 */
#define SHA1_SCHED(t)                                                                                         \
    (w[(t) & 15] = V_ROL32(V_XOR(V_XOR3(w[((t) - 3) & 15], w[((t) - 8) & 15], w[((t) - 14) & 15]), w[(t) & 15]), 1))
/* One round on named variables; the add order keeps the dependency on a short (the round is
 * latency-bound when the message schedule is precomputed). */
#define SHA1_RND(F, kw, a, b, c, d, e)                                                     \
    do {                                                                                   \
        V t_ = V_ADD32(V_ROL32(a, 5), V_ADD32(F(b, c, d), V_ADD32(e, kw)));                \
        e = d;                                                                             \
        d = c;                                                                             \
        c = V_ROL32(b, 30);                                                                \
        b = a;                                                                             \
        a = t_;                                                                            \
    } while (0);
#define SHA1_ROUND(F, kw) SHA1_RND(F, kw, a, b, c, d, e)
#define SHA1_V0(t) SHA1_ROUND(V_CH, V_ADD32(w[t], V_SET32(0x5a827999u)))
#define SHA1_V1(t) SHA1_SCHED(t); SHA1_ROUND(V_CH, V_ADD32(w[(t) & 15], V_SET32(0x5a827999u)))
#define SHA1_V2(t) SHA1_SCHED(t); SHA1_ROUND(V_XOR3, V_ADD32(w[(t) & 15], V_SET32(0x6ed9eba1u)))
#define SHA1_V3(t) SHA1_SCHED(t); SHA1_ROUND(V_MAJ, V_ADD32(w[(t) & 15], V_SET32(0x8f1bbcdcu)))
#define SHA1_V4(t) SHA1_SCHED(t); SHA1_ROUND(V_XOR3, V_ADD32(w[(t) & 15], V_SET32(0xca62c1d6u)))
#define SHA1_C1(t) SHA1_ROUND(V_CH, V_SET32(kw[t]))
#define SHA1_C2(t) SHA1_ROUND(V_XOR3, V_SET32(kw[t]))
#define SHA1_C3(t) SHA1_ROUND(V_MAJ, V_SET32(kw[t]))
/* Two groups of lanes at once: their rounds interleave, hiding each other's latency. */
#define SHA1_2G(F, t)                                                                      \
    {                                                                                      \
        const V k_ = V_SET32(kw[t]);                                                       \
        SHA1_RND(F, k_, a0, b0, c0, d0, e0)                                                \
        SHA1_RND(F, k_, a1, b1, c1, d1, e1)                                                \
    }
#define SHA1_D1(t) SHA1_2G(V_CH, t)
#define SHA1_D2(t) SHA1_2G(V_XOR3, t)
#define SHA1_D3(t) SHA1_2G(V_MAJ, t)

/* SHA-256 and SHA-512 share the round; they differ in word size, rotations and constants. */
#define SHA2_ROUND(ADD, BS0, BS1, kw)                                                      \
    do {                                                                                   \
        V t1_ = ADD(ADD(h, BS1(e)), ADD(V_CH(e, f, g), kw));                               \
        V t2_ = ADD(BS0(a), V_MAJ(a, b, c));                                               \
        h = g;                                                                             \
        g = f;                                                                             \
        f = e;                                                                             \
        e = ADD(d, t1_);                                                                   \
        d = c;                                                                             \
        c = b;                                                                             \
        b = a;                                                                             \
        a = ADD(t1_, t2_);                                                                 \
    } while (0);

#define S256_BS0(x) V_XOR3(V_ROR32(x, 2), V_ROR32(x, 13), V_ROR32(x, 22))
#define S256_BS1(x) V_XOR3(V_ROR32(x, 6), V_ROR32(x, 11), V_ROR32(x, 25))
#define S256_SS0(x) V_XOR3(V_ROR32(x, 7), V_ROR32(x, 18), V_SHR32(x, 3))
#define S256_SS1(x) V_XOR3(V_ROR32(x, 17), V_ROR32(x, 19), V_SHR32(x, 10))
#define S256_SCHED(t)                                                                      \
    (w[(t) & 15] = V_ADD32(V_ADD32(S256_SS1(w[((t) - 2) & 15]), w[((t) - 7) & 15]),        \
                           V_ADD32(S256_SS0(w[((t) - 15) & 15]), w[(t) & 15])))
#define S256_V0(t) SHA2_ROUND(V_ADD32, S256_BS0, S256_BS1, V_ADD32(w[t], V_SET32(K256[t])))
#define S256_V1(t) S256_SCHED(t); SHA2_ROUND(V_ADD32, S256_BS0, S256_BS1, V_ADD32(w[(t) & 15], V_SET32(K256[t])))
#define S256_C(t) SHA2_ROUND(V_ADD32, S256_BS0, S256_BS1, V_SET32(kw[t]))

#define S512_BS0(x) V_XOR3(V_ROR64(x, 28), V_ROR64(x, 34), V_ROR64(x, 39))
#define S512_BS1(x) V_XOR3(V_ROR64(x, 14), V_ROR64(x, 18), V_ROR64(x, 41))
#define S512_SS0(x) V_XOR3(V_ROR64(x, 1), V_ROR64(x, 8), V_SHR64(x, 7))
#define S512_SS1(x) V_XOR3(V_ROR64(x, 19), V_ROR64(x, 61), V_SHR64(x, 6))
#define S512_SCHED(t)                                                                      \
    (w[(t) & 15] = V_ADD64(V_ADD64(S512_SS1(w[((t) - 2) & 15]), w[((t) - 7) & 15]),        \
                           V_ADD64(S512_SS0(w[((t) - 15) & 15]), w[(t) & 15])))
#define S512_V0(t) SHA2_ROUND(V_ADD64, S512_BS0, S512_BS1, V_ADD64(w[t], V_SET64(K512[t])))
#define S512_V1(t) S512_SCHED(t); SHA2_ROUND(V_ADD64, S512_BS0, S512_BS1, V_ADD64(w[(t) & 15], V_SET64(K512[t])))
#define S512_C(t) SHA2_ROUND(V_ADD64, S512_BS0, S512_BS1, V_SET64(kw[t]))

#endif /* SCAN_SIMD_ROUNDS */


#define SIMD_INLINE SIMD_TARGET static inline __attribute__((always_inline))

/* --- SHA-1 ------------------------------------------------------------------------------------ */

SIMD_INLINE void SIMD_NAME(sha1_core)(V *s, V *w)
{
    V a = s[0], b = s[1], c = s[2], d = s[3], e = s[4];
    REP16(SHA1_V0, 0)
    REP4(SHA1_V1, 16)
    REP20(SHA1_V2, 20)
    REP20(SHA1_V3, 40)
    REP20(SHA1_V4, 60)
    s[0] = V_ADD32(s[0], a);
    s[1] = V_ADD32(s[1], b);
    s[2] = V_ADD32(s[2], c);
    s[3] = V_ADD32(s[3], d);
    s[4] = V_ADD32(s[4], e);
}

/* SHA-1 batches are SHA1_GROUPS vectors wide: word i of group g at [i * S1_STRIDE + g * L32 + lane]. */
#define S1_STRIDE (L32 * SHA1_GROUPS)

SIMD_TARGET static void SIMD_NAME(sha1_var)(void *vst, const void *vblk)
{
    for (int g = 0; g < SHA1_GROUPS; g++) {
        uint32_t *st = (uint32_t *)vst + g * L32;
        const uint32_t *m = (const uint32_t *)vblk + g * L32;
        V s[5], w[16];
        for (int i = 0; i < 5; i++)
            s[i] = V_LOAD(st + i * S1_STRIDE);
        for (int i = 0; i < 16; i++)
            w[i] = V_LOAD(m + i * S1_STRIDE);
        SIMD_NAME(sha1_core)(s, w);
        for (int i = 0; i < 5; i++)
            V_STORE(st + i * S1_STRIDE, s[i]);
    }
}

SIMD_TARGET static void SIMD_NAME(sha1_hmac_init)(const void *viv, const void *vkb, int kwords, void *vsi, void *vso)
{
    const uint32_t *iv = (const uint32_t *)viv;
    for (int gp = 0; gp < 2 * SHA1_GROUPS; gp++) {
        const int g = gp >> 1, p = gp & 1;
        const uint32_t *kb = (const uint32_t *)vkb + g * L32;
        uint32_t *st = (uint32_t *)(p ? vso : vsi) + g * L32;
        const V pad = V_SET32(p ? 0x5c5c5c5cu : 0x36363636u);
        V s[5], w[16];
        for (int i = 0; i < 5; i++)
            s[i] = V_SET32(iv[i]);
        for (int i = 0; i < 16; i++)
            w[i] = i < kwords ? V_XOR(V_LOAD(kb + i * S1_STRIDE), pad) : pad;
        SIMD_NAME(sha1_core)(s, w);
        for (int i = 0; i < 5; i++)
            V_STORE(st + i * S1_STRIDE, s[i]);
    }
}

SIMD_TARGET static void SIMD_NAME(sha1_outer)(void *vso, const void *vsi, int dw, uint64_t bits)
{
    for (int g = 0; g < SHA1_GROUPS; g++) {
        uint32_t *so = (uint32_t *)vso + g * L32;
        const uint32_t *si = (const uint32_t *)vsi + g * L32;
        V s[5], w[16];
        for (int i = 0; i < 5; i++)
            s[i] = V_LOAD(so + i * S1_STRIDE);
        for (int i = 0; i < 16; i++)
            w[i] = i < dw ? V_LOAD(si + i * S1_STRIDE)
                          : V_SET32(i == dw ? 0x80000000u : i == 15 ? (uint32_t)bits : 0);
        SIMD_NAME(sha1_core)(s, w);
        for (int i = 0; i < 5; i++)
            V_STORE(so + i * S1_STRIDE, s[i]);
    }
}

SIMD_TARGET static void SIMD_NAME(sha1_chain)(void *vst, const sched_t *sc)
{
    uint32_t *st = (uint32_t *)vst;
#if SHA1_GROUPS == 2
    V a0 = V_LOAD(st), b0 = V_LOAD(st + S1_STRIDE), c0 = V_LOAD(st + 2 * S1_STRIDE), d0 = V_LOAD(st + 3 * S1_STRIDE),
      e0 = V_LOAD(st + 4 * S1_STRIDE);
    V a1 = V_LOAD(st + L32), b1 = V_LOAD(st + S1_STRIDE + L32), c1 = V_LOAD(st + 2 * S1_STRIDE + L32),
      d1 = V_LOAD(st + 3 * S1_STRIDE + L32), e1 = V_LOAD(st + 4 * S1_STRIDE + L32);
    for (size_t i = 0; i < sc->nblocks; i++) {
        const uint32_t *kw = (const uint32_t *)sc->kw + i * 80;
        const V sa0 = a0, sb0 = b0, sc0 = c0, sd0 = d0, se0 = e0, sa1 = a1, sb1 = b1, sc1 = c1, sd1 = d1, se1 = e1;
        REP20(SHA1_D1, 0)
        REP20(SHA1_D2, 20)
        REP20(SHA1_D3, 40)
        REP20(SHA1_D2, 60)
        a0 = V_ADD32(a0, sa0);
        b0 = V_ADD32(b0, sb0);
        c0 = V_ADD32(c0, sc0);
        d0 = V_ADD32(d0, sd0);
        e0 = V_ADD32(e0, se0);
        a1 = V_ADD32(a1, sa1);
        b1 = V_ADD32(b1, sb1);
        c1 = V_ADD32(c1, sc1);
        d1 = V_ADD32(d1, sd1);
        e1 = V_ADD32(e1, se1);
    }
    V_STORE(st, a0);
    V_STORE(st + S1_STRIDE, b0);
    V_STORE(st + 2 * S1_STRIDE, c0);
    V_STORE(st + 3 * S1_STRIDE, d0);
    V_STORE(st + 4 * S1_STRIDE, e0);
    V_STORE(st + L32, a1);
    V_STORE(st + S1_STRIDE + L32, b1);
    V_STORE(st + 2 * S1_STRIDE + L32, c1);
    V_STORE(st + 3 * S1_STRIDE + L32, d1);
    V_STORE(st + 4 * S1_STRIDE + L32, e1);
#else
    V a = V_LOAD(st), b = V_LOAD(st + L32), c = V_LOAD(st + 2 * L32), d = V_LOAD(st + 3 * L32),
      e = V_LOAD(st + 4 * L32);
    for (size_t i = 0; i < sc->nblocks; i++) {
        const uint32_t *kw = (const uint32_t *)sc->kw + i * 80;
        const V a0 = a, b0 = b, c0 = c, d0 = d, e0 = e;
        REP20(SHA1_C1, 0)
        REP20(SHA1_C2, 20)
        REP20(SHA1_C3, 40)
        REP20(SHA1_C2, 60)
        a = V_ADD32(a, a0);
        b = V_ADD32(b, b0);
        c = V_ADD32(c, c0);
        d = V_ADD32(d, d0);
        e = V_ADD32(e, e0);
    }
    V_STORE(st, a);
    V_STORE(st + L32, b);
    V_STORE(st + 2 * L32, c);
    V_STORE(st + 3 * L32, d);
    V_STORE(st + 4 * L32, e);
#endif
}

#undef S1_STRIDE

/* --- SHA-256 (and SHA-224) ----------------------------------------------------------------------- */

SIMD_INLINE void SIMD_NAME(sha256_core)(V *s, V *w)
{
    V a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    REP16(S256_V0, 0)
    REP16(S256_V1, 16)
    REP16(S256_V1, 32)
    REP16(S256_V1, 48)
    s[0] = V_ADD32(s[0], a);
    s[1] = V_ADD32(s[1], b);
    s[2] = V_ADD32(s[2], c);
    s[3] = V_ADD32(s[3], d);
    s[4] = V_ADD32(s[4], e);
    s[5] = V_ADD32(s[5], f);
    s[6] = V_ADD32(s[6], g);
    s[7] = V_ADD32(s[7], h);
}

SIMD_TARGET static void SIMD_NAME(sha256_var)(void *vst, const void *vblk)
{
    uint32_t *st = (uint32_t *)vst;
    const uint32_t *m = (const uint32_t *)vblk;
    V s[8], w[16];
    for (int i = 0; i < 8; i++)
        s[i] = V_LOAD(st + i * L32);
    for (int i = 0; i < 16; i++)
        w[i] = V_LOAD(m + i * L32);
    SIMD_NAME(sha256_core)(s, w);
    for (int i = 0; i < 8; i++)
        V_STORE(st + i * L32, s[i]);
}

SIMD_TARGET static void SIMD_NAME(sha256_hmac_init)(const void *viv, const void *vkb, int kwords, void *vsi,
                                                    void *vso)
{
    const uint32_t *iv = (const uint32_t *)viv, *kb = (const uint32_t *)vkb;
    for (int p = 0; p < 2; p++) {
        const V pad = V_SET32(p ? 0x5c5c5c5cu : 0x36363636u);
        uint32_t *st = (uint32_t *)(p ? vso : vsi);
        V s[8], w[16];
        for (int i = 0; i < 8; i++)
            s[i] = V_SET32(iv[i]);
        for (int i = 0; i < 16; i++)
            w[i] = i < kwords ? V_XOR(V_LOAD(kb + i * L32), pad) : pad;
        SIMD_NAME(sha256_core)(s, w);
        for (int i = 0; i < 8; i++)
            V_STORE(st + i * L32, s[i]);
    }
}

SIMD_TARGET static void SIMD_NAME(sha256_outer)(void *vso, const void *vsi, int dw, uint64_t bits)
{
    uint32_t *so = (uint32_t *)vso;
    const uint32_t *si = (const uint32_t *)vsi;
    V s[8], w[16];
    for (int i = 0; i < 8; i++)
        s[i] = V_LOAD(so + i * L32);
    for (int i = 0; i < 16; i++)
        w[i] = i < dw ? V_LOAD(si + i * L32) : V_SET32(i == dw ? 0x80000000u : i == 15 ? (uint32_t)bits : 0);
    SIMD_NAME(sha256_core)(s, w);
    for (int i = 0; i < 8; i++)
        V_STORE(so + i * L32, s[i]);
}

SIMD_TARGET static void SIMD_NAME(sha256_chain)(void *vst, const sched_t *sc)
{
    uint32_t *st = (uint32_t *)vst;
    V a = V_LOAD(st), b = V_LOAD(st + L32), c = V_LOAD(st + 2 * L32), d = V_LOAD(st + 3 * L32),
      e = V_LOAD(st + 4 * L32), f = V_LOAD(st + 5 * L32), g = V_LOAD(st + 6 * L32), h = V_LOAD(st + 7 * L32);
    for (size_t i = 0; i < sc->nblocks; i++) {
        const uint32_t *kw = (const uint32_t *)sc->kw + i * 64;
        const V a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
        REP16(S256_C, 0)
        REP16(S256_C, 16)
        REP16(S256_C, 32)
        REP16(S256_C, 48)
        a = V_ADD32(a, a0);
        b = V_ADD32(b, b0);
        c = V_ADD32(c, c0);
        d = V_ADD32(d, d0);
        e = V_ADD32(e, e0);
        f = V_ADD32(f, f0);
        g = V_ADD32(g, g0);
        h = V_ADD32(h, h0);
    }
    V_STORE(st, a);
    V_STORE(st + L32, b);
    V_STORE(st + 2 * L32, c);
    V_STORE(st + 3 * L32, d);
    V_STORE(st + 4 * L32, e);
    V_STORE(st + 5 * L32, f);
    V_STORE(st + 6 * L32, g);
    V_STORE(st + 7 * L32, h);
}

/* --- SHA-512 (and SHA-384) ----------------------------------------------------------------------- */

SIMD_INLINE void SIMD_NAME(sha512_core)(V *s, V *w)
{
    V a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    REP16(S512_V0, 0)
    REP16(S512_V1, 16)
    REP16(S512_V1, 32)
    REP16(S512_V1, 48)
    REP16(S512_V1, 64)
    s[0] = V_ADD64(s[0], a);
    s[1] = V_ADD64(s[1], b);
    s[2] = V_ADD64(s[2], c);
    s[3] = V_ADD64(s[3], d);
    s[4] = V_ADD64(s[4], e);
    s[5] = V_ADD64(s[5], f);
    s[6] = V_ADD64(s[6], g);
    s[7] = V_ADD64(s[7], h);
}

SIMD_TARGET static void SIMD_NAME(sha512_var)(void *vst, const void *vblk)
{
    uint64_t *st = (uint64_t *)vst;
    const uint64_t *m = (const uint64_t *)vblk;
    V s[8], w[16];
    for (int i = 0; i < 8; i++)
        s[i] = V_LOAD(st + i * L64);
    for (int i = 0; i < 16; i++)
        w[i] = V_LOAD(m + i * L64);
    SIMD_NAME(sha512_core)(s, w);
    for (int i = 0; i < 8; i++)
        V_STORE(st + i * L64, s[i]);
}

SIMD_TARGET static void SIMD_NAME(sha512_hmac_init)(const void *viv, const void *vkb, int kwords, void *vsi,
                                                    void *vso)
{
    const uint64_t *iv = (const uint64_t *)viv, *kb = (const uint64_t *)vkb;
    for (int p = 0; p < 2; p++) {
        const V pad = V_SET64(p ? 0x5c5c5c5c5c5c5c5cull : 0x3636363636363636ull);
        uint64_t *st = (uint64_t *)(p ? vso : vsi);
        V s[8], w[16];
        for (int i = 0; i < 8; i++)
            s[i] = V_SET64(iv[i]);
        for (int i = 0; i < 16; i++)
            w[i] = i < kwords ? V_XOR(V_LOAD(kb + i * L64), pad) : pad;
        SIMD_NAME(sha512_core)(s, w);
        for (int i = 0; i < 8; i++)
            V_STORE(st + i * L64, s[i]);
    }
}

SIMD_TARGET static void SIMD_NAME(sha512_outer)(void *vso, const void *vsi, int dw, uint64_t bits)
{
    uint64_t *so = (uint64_t *)vso;
    const uint64_t *si = (const uint64_t *)vsi;
    V s[8], w[16];
    for (int i = 0; i < 8; i++)
        s[i] = V_LOAD(so + i * L64);
    for (int i = 0; i < 16; i++)
        w[i] = i < dw ? V_LOAD(si + i * L64) : V_SET64(i == dw ? 0x8000000000000000ull : i == 15 ? bits : 0);
    SIMD_NAME(sha512_core)(s, w);
    for (int i = 0; i < 8; i++)
        V_STORE(so + i * L64, s[i]);
}

SIMD_TARGET static void SIMD_NAME(sha512_chain)(void *vst, const sched_t *sc)
{
    uint64_t *st = (uint64_t *)vst;
    V a = V_LOAD(st), b = V_LOAD(st + L64), c = V_LOAD(st + 2 * L64), d = V_LOAD(st + 3 * L64),
      e = V_LOAD(st + 4 * L64), f = V_LOAD(st + 5 * L64), g = V_LOAD(st + 6 * L64), h = V_LOAD(st + 7 * L64);
    for (size_t i = 0; i < sc->nblocks; i++) {
        const uint64_t *kw = (const uint64_t *)sc->kw + i * 80;
        const V a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
        REP16(S512_C, 0)
        REP16(S512_C, 16)
        REP16(S512_C, 32)
        REP16(S512_C, 48)
        REP16(S512_C, 64)
        a = V_ADD64(a, a0);
        b = V_ADD64(b, b0);
        c = V_ADD64(c, c0);
        d = V_ADD64(d, d0);
        e = V_ADD64(e, e0);
        f = V_ADD64(f, f0);
        g = V_ADD64(g, g0);
        h = V_ADD64(h, h0);
    }
    V_STORE(st, a);
    V_STORE(st + L64, b);
    V_STORE(st + 2 * L64, c);
    V_STORE(st + 3 * L64, d);
    V_STORE(st + 4 * L64, e);
    V_STORE(st + 5 * L64, f);
    V_STORE(st + 6 * L64, g);
    V_STORE(st + 7 * L64, h);
}

#undef SIMD_INLINE
