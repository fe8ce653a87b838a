/* flasksess_cli.audit._scan: the native key search behind `flasksess audit cookie`.
 *
 * A cookie's signature is HMAC(derive(key, salt), signed) (itsdangerous' Signer). Scanner holds
 * everything constant in a search (the salt and signed-text blocks padded, their message schedules
 * computed once, the target signature) and tries candidate keys in batches, one per vector lane;
 * per candidate only the key's own blocks (its ipad/opad states, the derived key's) are hashed.
 *
 * Engines, chosen by CPUID at run time (the module is built for generic x86-64; each engine's
 * functions carry their own target attribute):
 *   avx512  32 lanes of SHA-1 (two vectors, interleaved where the rounds are latency-bound),
 *           16 of SHA-256, 8 of SHA-512                    (AVX-512 F + BW + VL)
 *   avx2    8 lanes of SHA-1 / SHA-256, 4 of SHA-512     (AVX2)
 *   sha-ni  SHA-1 / SHA-256 instructions, 4 candidates at a time; SHA-384/512 run scalar
 *   scalar  portable C, one candidate at a time (the only engine off x86-64)
 * No OpenSSL, no third-party code.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__amd64__)) && (defined(__GNUC__) || defined(__clang__)) && !defined(SCAN_SCALAR_ONLY)
#define SCAN_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define SCAN_SSE2 1 /* baseline on x86-64: line breaks found 16 bytes at a time */
#include <emmintrin.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ALIGNED(n) __attribute__((aligned(n)))
#elif defined(_MSC_VER)
#define ALIGNED(n) __declspec(align(n))
#else
#define ALIGNED(n)
#endif

/* Lanes of the widest engine (AVX-512 SHA-1: two vectors of 16). */
#define MAX_LANES 32
/* "concat" messages of up to this many blocks are hashed in the lanes; longer ones alone. */
#define CONCAT_BLOCKS 2
/* Longest signed text or salt taken (their schedules take up to 10 bytes per byte; cookies are < 5 KB). */
#define MAX_SIGNED (1 << 20)

/* --- bytes and words ----------------------------------------------------------------------------- */

static inline uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t load_be64(const uint8_t *p)
{
    return ((uint64_t)load_be32(p) << 32) | load_be32(p + 4);
}

static inline void store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

#define ROL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define ROR64(x, n) (((x) >> (n)) | ((x) << (64 - (n))))

/* Words of a state, a digest or a mid-state, in whichever size the hash uses. */
typedef union {
    uint32_t w32[16];
    uint64_t w64[8];
} words_t;

/* The blocks of one constant message (salt or signed text), their schedule computed once:
 * kw holds K[t] + W[t] for every round of every block (uint32_t or uint64_t); for SHA-1, wni holds
 * W[t] alone, each group of four reversed, as the SHA-NI instructions take it. */
typedef struct {
    size_t nblocks;
    void *kw;      /* 64-byte aligned (SSE memory operands need 16) */
    uint32_t *wni; /* likewise */
    void *memory;  /* the allocation both live in */
} sched_t;

/* --- constants ------------------------------------------------------------------------------------ */

static const uint32_t K256[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static const uint64_t K512[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static const uint32_t K1[4] = {0x5a827999u, 0x6ed9eba1u, 0x8f1bbcdcu, 0xca62c1d6u};

/* --- the digests ---------------------------------------------------------------------------------- */

enum { FAM_SHA1, FAM_SHA256, FAM_SHA512, FAM_COUNT };

typedef struct {
    const char *name;
    int family;
    int block;        /* bytes */
    int state_words;  /* words of the chaining state */
    int digest_words; /* words of the output (fewer for SHA-224 / SHA-384) */
    int word_size;
    words_t iv;
} digest_t;

static const digest_t DIGESTS[] = {
    {"sha1", FAM_SHA1, 64, 5, 5, 4, {.w32 = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u}}},
    {"sha224", FAM_SHA256, 64, 8, 7, 4,
     {.w32 = {0xc1059ed8u, 0x367cd507u, 0x3070dd17u, 0xf70e5939u, 0xffc00b31u, 0x68581511u, 0x64f98fa7u,
              0xbefa4fa4u}}},
    {"sha256", FAM_SHA256, 64, 8, 8, 4,
     {.w32 = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu,
              0x5be0cd19u}}},
    {"sha384", FAM_SHA512, 128, 8, 6, 8,
     {.w64 = {0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
              0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL, 0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL}}},
    {"sha512", FAM_SHA512, 128, 8, 8, 8,
     {.w64 = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
              0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL}}},
};

/* Rounds per block, and so words of schedule per block. */
static int family_rounds(int family) { return family == FAM_SHA256 ? 64 : 80; }

/* --- scalar compression (the portable engine, and single candidates in any engine) ----------------- */

static void sha1_expand(uint32_t w[80])
{
    for (int t = 16; t < 80; t++)
        w[t] = ROL32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
}

static void sha1_rounds(uint32_t s[5], const uint32_t kw[80])
{
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], t;
    int i = 0;
#define SHA1_STEP(f)                                   \
    t = ROL32(a, 5) + (f) + e + kw[i];                 \
    e = d;                                             \
    d = c;                                             \
    c = ROL32(b, 30);                                  \
    b = a;                                             \
    a = t;
    for (; i < 20; i++) {
        SHA1_STEP(d ^ (b & (c ^ d)))
    }
    for (; i < 40; i++) {
        SHA1_STEP(b ^ c ^ d)
    }
    for (; i < 60; i++) {
        SHA1_STEP((b & c) | (d & (b | c)))
    }
    for (; i < 80; i++) {
        SHA1_STEP(b ^ c ^ d)
    }
#undef SHA1_STEP
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
}

/* One block, the schedule computed as the rounds go (a 16-word window). */
static void sha1_block(void *state, const void *block)
{
    uint32_t *s = (uint32_t *)state, w[16];
    memcpy(w, block, sizeof w);
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], t;
#define SHA1_W(i) (i < 16 ? w[i] : (w[i & 15] = ROL32(w[(i - 3) & 15] ^ w[(i - 8) & 15] ^ w[(i - 14) & 15] ^ w[i & 15], 1)))
#define SHA1_STEP(f, k)                                \
    t = ROL32(a, 5) + (f) + e + (k) + SHA1_W(i);       \
    e = d;                                             \
    d = c;                                             \
    c = ROL32(b, 30);                                  \
    b = a;                                             \
    a = t;
    int i = 0;
#pragma GCC unroll 20
    for (; i < 20; i++) {
        SHA1_STEP(d ^ (b & (c ^ d)), 0x5a827999u)
    }
#pragma GCC unroll 20
    for (; i < 40; i++) {
        SHA1_STEP(b ^ c ^ d, 0x6ed9eba1u)
    }
#pragma GCC unroll 20
    for (; i < 60; i++) {
        SHA1_STEP((b & c) | (d & (b | c)), 0x8f1bbcdcu)
    }
#pragma GCC unroll 20
    for (; i < 80; i++) {
        SHA1_STEP(b ^ c ^ d, 0xca62c1d6u)
    }
#undef SHA1_STEP
#undef SHA1_W
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
}

static void sha1_chain(void *state, const sched_t *s)
{
    for (size_t i = 0; i < s->nblocks; i++)
        sha1_rounds((uint32_t *)state, (const uint32_t *)s->kw + i * 80);
}

#define BSIG0_256(x) (ROR32(x, 2) ^ ROR32(x, 13) ^ ROR32(x, 22))
#define BSIG1_256(x) (ROR32(x, 6) ^ ROR32(x, 11) ^ ROR32(x, 25))
#define SSIG0_256(x) (ROR32(x, 7) ^ ROR32(x, 18) ^ ((x) >> 3))
#define SSIG1_256(x) (ROR32(x, 17) ^ ROR32(x, 19) ^ ((x) >> 10))
#define BSIG0_512(x) (ROR64(x, 28) ^ ROR64(x, 34) ^ ROR64(x, 39))
#define BSIG1_512(x) (ROR64(x, 14) ^ ROR64(x, 18) ^ ROR64(x, 41))
#define SSIG0_512(x) (ROR64(x, 1) ^ ROR64(x, 8) ^ ((x) >> 7))
#define SSIG1_512(x) (ROR64(x, 19) ^ ROR64(x, 61) ^ ((x) >> 6))

static void sha256_expand(uint32_t w[64])
{
    for (int t = 16; t < 64; t++)
        w[t] = SSIG1_256(w[t - 2]) + w[t - 7] + SSIG0_256(w[t - 15]) + w[t - 16];
}

static void sha256_rounds(uint32_t s[8], const uint32_t kw[64])
{
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = h + BSIG1_256(e) + (g ^ (e & (f ^ g))) + kw[t];
        uint32_t t2 = BSIG0_256(a) + ((a & b) | (c & (a | b)));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
    s[5] += f;
    s[6] += g;
    s[7] += h;
}

static void sha256_block(void *state, const void *block)
{
    uint32_t w[64];
    memcpy(w, block, 16 * sizeof(uint32_t));
    sha256_expand(w);
    for (int t = 0; t < 64; t++)
        w[t] += K256[t];
    sha256_rounds((uint32_t *)state, w);
}

static void sha256_chain(void *state, const sched_t *s)
{
    for (size_t i = 0; i < s->nblocks; i++)
        sha256_rounds((uint32_t *)state, (const uint32_t *)s->kw + i * 64);
}

static void sha512_expand(uint64_t w[80])
{
    for (int t = 16; t < 80; t++)
        w[t] = SSIG1_512(w[t - 2]) + w[t - 7] + SSIG0_512(w[t - 15]) + w[t - 16];
}

static void sha512_rounds(uint64_t s[8], const uint64_t kw[80])
{
    uint64_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int t = 0; t < 80; t++) {
        uint64_t t1 = h + BSIG1_512(e) + (g ^ (e & (f ^ g))) + kw[t];
        uint64_t t2 = BSIG0_512(a) + ((a & b) | (c & (a | b)));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
    s[5] += f;
    s[6] += g;
    s[7] += h;
}

static void sha512_block(void *state, const void *block)
{
    uint64_t w[80];
    memcpy(w, block, 16 * sizeof(uint64_t));
    sha512_expand(w);
    for (int t = 0; t < 80; t++)
        w[t] += K512[t];
    sha512_rounds((uint64_t *)state, w);
}

static void sha512_chain(void *state, const sched_t *s)
{
    for (size_t i = 0; i < s->nblocks; i++)
        sha512_rounds((uint64_t *)state, (const uint64_t *)s->kw + i * 80);
}

/* --- engines ---------------------------------------------------------------------------------------- */

/* var: compress one block per lane (state and block in SoA layout, `lanes` wide);
 * chain: compress a constant message's blocks into every lane's state;
 * hmac_init, outer: the fused steps of an HMAC (see _scan_simd.h); NULL: built from var;
 * pack: lanes' keys (none longer than a block) into a key block; NULL: packed one by one. */
typedef struct {
    const char *engine; /* the path that runs: an engine may lack a digest family and run scalar */
    int lanes;
    void (*var)(void *state, const void *block);
    void (*chain)(void *state, const sched_t *s);
    void (*hmac_init)(const void *iv, const void *kb, int kwords, void *si, void *so);
    void (*outer)(void *so, const void *si, int dw, uint64_t bits);
    void (*pack)(void *kb, const uint8_t *const *key, const size_t *len, int n);
} ops_t;

enum { ENG_AVX512, ENG_AVX2, ENG_SHANI, ENG_SCALAR, ENG_COUNT };
static const char *const ENGINE_NAMES[ENG_COUNT] = {"avx512", "avx2", "sha-ni", "scalar"};

#ifdef SCAN_X86

/* The instruction scheduling of the hashing functions. With GCC's generic tuning the same
 * instructions come out in an order 30-45% slower on AMD Zen 5 (hmac_init and outer: the
 * independent work of the next round is not hoisted); Zen 3 tuning recovers it. Tuning changes no
 * instruction set: the code still runs on any CPU that has the engine's features. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define SCAN_TUNE ",tune=znver3"
#else
#define SCAN_TUNE ""
#endif

/* SHA-NI: one candidate's block per instruction sequence, four candidates per call, their rounds
 * interleaved group by group (the SHA instructions are latency-bound). Legacy SSE encoding only (no
 * AVX in these functions). Blocks and states come in SoA rows of 4 words (word i of lanes 0..3);
 * 4x4 transposes turn them into each lane's words and back. */
#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3" SCAN_TUNE)))
#define SHANI_INLINE SHANI_TARGET static inline __attribute__((always_inline))
#define SHANI_LANES 4

/* Rows r[0..3] (word j of lanes 0..3 in r[j]) -> out[l] = lane l's 4 words, word 0 in element 0. */
SHANI_INLINE void ni_transpose(const __m128i *r, __m128i *out)
{
    const __m128i t0 = _mm_unpacklo_epi32(r[0], r[1]), t1 = _mm_unpackhi_epi32(r[0], r[1]);
    const __m128i t2 = _mm_unpacklo_epi32(r[2], r[3]), t3 = _mm_unpackhi_epi32(r[2], r[3]);
    out[0] = _mm_unpacklo_epi64(t0, t2);
    out[1] = _mm_unpackhi_epi64(t0, t2);
    out[2] = _mm_unpacklo_epi64(t1, t3);
    out[3] = _mm_unpackhi_epi64(t1, t3);
}

/* Group g (words 4g .. 4g+3) of 4 lanes' blocks: rows from memory, each XORed with pad (the rows
 * from `rows` on are pad alone: the key block's zero words). */
SHANI_INLINE void ni_group(const uint32_t *b, int g, int rows, __m128i pad, __m128i *out)
{
    __m128i r[4];
    for (int j = 0; j < 4; j++)
        r[j] = 4 * g + j < rows ? _mm_xor_si128(_mm_loadu_si128((const __m128i *)(b + 4 * (4 * g + j))), pad) : pad;
    ni_transpose(r, out);
}

/* --- SHA-1 --- */

#define SHA1NI_GROUP(g, f)                                                     \
    for (int l = 0; l < SHANI_LANES; l++) {                                    \
        const __m128i en_ = _mm_sha1nexte_epu32(prev[l], m[l * ms + (g)]);     \
        prev[l] = abcd[l];                                                     \
        abcd[l] = _mm_sha1rnds4_epu32(abcd[l], en_, f);                        \
    }

/* 80 rounds in 4 lanes: abcd (A in element 3), e (E in element 3, zeros below); lane l's schedule
 * group g is m[l * ms + g] (ms = 0: one message for all lanes), W[4g] in element 3. */
SHANI_INLINE void sha1ni_rounds(__m128i *abcd, __m128i *e, const __m128i *m, int ms)
{
    __m128i abcd0[SHANI_LANES], prev[SHANI_LANES];
    for (int l = 0; l < SHANI_LANES; l++) {
        abcd0[l] = prev[l] = abcd[l];
        abcd[l] = _mm_sha1rnds4_epu32(abcd[l], _mm_add_epi32(e[l], m[l * ms]), 0);
    }
    SHA1NI_GROUP(1, 0) SHA1NI_GROUP(2, 0) SHA1NI_GROUP(3, 0) SHA1NI_GROUP(4, 0)
    SHA1NI_GROUP(5, 1) SHA1NI_GROUP(6, 1) SHA1NI_GROUP(7, 1) SHA1NI_GROUP(8, 1) SHA1NI_GROUP(9, 1)
    SHA1NI_GROUP(10, 2) SHA1NI_GROUP(11, 2) SHA1NI_GROUP(12, 2) SHA1NI_GROUP(13, 2) SHA1NI_GROUP(14, 2)
    SHA1NI_GROUP(15, 3) SHA1NI_GROUP(16, 3) SHA1NI_GROUP(17, 3) SHA1NI_GROUP(18, 3) SHA1NI_GROUP(19, 3)
    for (int l = 0; l < SHANI_LANES; l++) {
        e[l] = _mm_sha1nexte_epu32(prev[l], e[l]);
        abcd[l] = _mm_add_epi32(abcd[l], abcd0[l]);
    }
}

/* 4 lanes' schedules from their SoA block (XORed with pad, rows past `rows` pad alone). */
SHANI_INLINE void sha1ni_schedule(const uint32_t *b, int rows, __m128i pad, __m128i *m)
{
    for (int g = 0; g < 4; g++) {
        __m128i lane[4];
        ni_group(b, g, rows, pad, lane);
        for (int l = 0; l < SHANI_LANES; l++)
            m[l * 20 + g] = _mm_shuffle_epi32(lane[l], 0x1b);
    }
    for (int l = 0; l < SHANI_LANES; l++)
        for (int g = 4; g < 20; g++)
            m[l * 20 + g] = _mm_sha1msg2_epu32(
                _mm_xor_si128(_mm_sha1msg1_epu32(m[l * 20 + g - 4], m[l * 20 + g - 3]), m[l * 20 + g - 2]),
                m[l * 20 + g - 1]);
}

SHANI_INLINE void sha1ni_load(const uint32_t *st, __m128i *abcd, __m128i *e)
{
    __m128i r[4], lane[4];
    for (int j = 0; j < 4; j++)
        r[j] = _mm_loadu_si128((const __m128i *)(st + 4 * j));
    ni_transpose(r, lane);
    for (int l = 0; l < SHANI_LANES; l++) {
        abcd[l] = _mm_shuffle_epi32(lane[l], 0x1b);
        e[l] = _mm_set_epi32((int)st[16 + l], 0, 0, 0);
    }
}

SHANI_INLINE void sha1ni_store(uint32_t *st, const __m128i *abcd, const __m128i *e)
{
    __m128i lane[4], r[4];
    for (int l = 0; l < SHANI_LANES; l++) {
        lane[l] = _mm_shuffle_epi32(abcd[l], 0x1b);
        st[16 + l] = (uint32_t)_mm_extract_epi32(e[l], 3);
    }
    ni_transpose(lane, r);
    for (int j = 0; j < 4; j++)
        _mm_storeu_si128((__m128i *)(st + 4 * j), r[j]);
}

SHANI_TARGET static void sha1ni_var(void *vst, const void *vblk)
{
    __m128i m[SHANI_LANES * 20], abcd[SHANI_LANES], e[SHANI_LANES];
    sha1ni_schedule((const uint32_t *)vblk, 16, _mm_setzero_si128(), m);
    sha1ni_load((const uint32_t *)vst, abcd, e);
    sha1ni_rounds(abcd, e, m, 20);
    sha1ni_store((uint32_t *)vst, abcd, e);
}

SHANI_TARGET static void sha1ni_hmac_init(const void *viv, const void *vkb, int kwords, void *vsi, void *vso)
{
    const uint32_t *iv = (const uint32_t *)viv;
    for (int p = 0; p < 2; p++) {
        __m128i m[SHANI_LANES * 20], abcd[SHANI_LANES], e[SHANI_LANES];
        sha1ni_schedule((const uint32_t *)vkb, kwords, _mm_set1_epi32(p ? 0x5c5c5c5c : 0x36363636), m);
        for (int l = 0; l < SHANI_LANES; l++) {
            abcd[l] = _mm_set_epi32((int)iv[0], (int)iv[1], (int)iv[2], (int)iv[3]);
            e[l] = _mm_set_epi32((int)iv[4], 0, 0, 0);
        }
        sha1ni_rounds(abcd, e, m, 20);
        sha1ni_store((uint32_t *)(p ? vso : vsi), abcd, e);
    }
}

SHANI_TARGET static void sha1ni_outer(void *vso, const void *vsi, int dw, uint64_t bits)
{
    ALIGNED(16) uint32_t b[16 * SHANI_LANES];
    const uint32_t *si = (const uint32_t *)vsi;
    for (int i = 0; i < 16; i++)
        for (int l = 0; l < SHANI_LANES; l++)
            b[i * SHANI_LANES + l] = i < dw ? si[i * SHANI_LANES + l] : i == dw ? 0x80000000u : i == 15 ? (uint32_t)bits : 0;
    sha1ni_var(vso, b);
}

SHANI_TARGET static void sha1ni_chain(void *vst, const sched_t *s)
{
    __m128i abcd[SHANI_LANES], e[SHANI_LANES];
    sha1ni_load((const uint32_t *)vst, abcd, e);
    for (size_t i = 0; i < s->nblocks; i++)
        sha1ni_rounds(abcd, e, (const __m128i *)(s->wni + i * 80), 0);
    sha1ni_store((uint32_t *)vst, abcd, e);
}

/* --- SHA-256 --- */

/* 64 rounds in 4 lanes on (ABEF, CDGH); lane l's K + W group g is wk[l * ms + g]. */
SHANI_INLINE void sha256ni_rounds(__m128i *s0, __m128i *s1, const __m128i *wk, int ms)
{
    __m128i s00[SHANI_LANES], s10[SHANI_LANES];
    for (int l = 0; l < SHANI_LANES; l++) {
        s00[l] = s0[l];
        s10[l] = s1[l];
    }
    for (int g = 0; g < 16; g++)
        for (int l = 0; l < SHANI_LANES; l++) {
            s1[l] = _mm_sha256rnds2_epu32(s1[l], s0[l], wk[l * ms + g]);
            s0[l] = _mm_sha256rnds2_epu32(s0[l], s1[l], _mm_shuffle_epi32(wk[l * ms + g], 0x0e));
        }
    for (int l = 0; l < SHANI_LANES; l++) {
        s0[l] = _mm_add_epi32(s0[l], s00[l]);
        s1[l] = _mm_add_epi32(s1[l], s10[l]);
    }
}

SHANI_INLINE void sha256ni_schedule(const uint32_t *b, int rows, __m128i pad, __m128i *wk)
{
    __m128i m[SHANI_LANES * 16];
    for (int g = 0; g < 4; g++) {
        __m128i lane[4];
        ni_group(b, g, rows, pad, lane);
        for (int l = 0; l < SHANI_LANES; l++)
            m[l * 16 + g] = lane[l];
    }
    for (int l = 0; l < SHANI_LANES; l++) {
        __m128i *ml = m + l * 16;
        for (int g = 4; g < 16; g++)
            ml[g] = _mm_sha256msg2_epu32(
                _mm_add_epi32(_mm_sha256msg1_epu32(ml[g - 4], ml[g - 3]), _mm_alignr_epi8(ml[g - 1], ml[g - 2], 4)),
                ml[g - 1]);
        for (int g = 0; g < 16; g++)
            wk[l * 16 + g] = _mm_add_epi32(ml[g], _mm_loadu_si128((const __m128i *)(K256 + 4 * g)));
    }
}

/* ABEF holds A in element 3, B, E, F in element 0; CDGH likewise. */
SHANI_INLINE void sha256ni_load(const uint32_t *st, __m128i *s0, __m128i *s1)
{
    __m128i r[4], abcd[4], efgh[4];
    for (int j = 0; j < 4; j++)
        r[j] = _mm_loadu_si128((const __m128i *)(st + 4 * j));
    ni_transpose(r, abcd);
    for (int j = 0; j < 4; j++)
        r[j] = _mm_loadu_si128((const __m128i *)(st + 4 * (4 + j)));
    ni_transpose(r, efgh);
    for (int l = 0; l < SHANI_LANES; l++) {
        s0[l] = _mm_shuffle_epi32(_mm_unpacklo_epi64(abcd[l], efgh[l]), 0x1b);
        s1[l] = _mm_shuffle_epi32(_mm_unpackhi_epi64(abcd[l], efgh[l]), 0x1b);
    }
}

SHANI_INLINE void sha256ni_store(uint32_t *st, const __m128i *s0, const __m128i *s1)
{
    __m128i abcd[4], efgh[4], r[4];
    for (int l = 0; l < SHANI_LANES; l++) {
        const __m128i abef = _mm_shuffle_epi32(s0[l], 0x1b), cdgh = _mm_shuffle_epi32(s1[l], 0x1b);
        abcd[l] = _mm_unpacklo_epi64(abef, cdgh);
        efgh[l] = _mm_unpackhi_epi64(abef, cdgh);
    }
    ni_transpose(abcd, r);
    for (int j = 0; j < 4; j++)
        _mm_storeu_si128((__m128i *)(st + 4 * j), r[j]);
    ni_transpose(efgh, r);
    for (int j = 0; j < 4; j++)
        _mm_storeu_si128((__m128i *)(st + 4 * (4 + j)), r[j]);
}

SHANI_TARGET static void sha256ni_var(void *vst, const void *vblk)
{
    __m128i wk[SHANI_LANES * 16], s0[SHANI_LANES], s1[SHANI_LANES];
    sha256ni_schedule((const uint32_t *)vblk, 16, _mm_setzero_si128(), wk);
    sha256ni_load((const uint32_t *)vst, s0, s1);
    sha256ni_rounds(s0, s1, wk, 16);
    sha256ni_store((uint32_t *)vst, s0, s1);
}

SHANI_TARGET static void sha256ni_hmac_init(const void *viv, const void *vkb, int kwords, void *vsi, void *vso)
{
    const uint32_t *iv = (const uint32_t *)viv;
    for (int p = 0; p < 2; p++) {
        __m128i wk[SHANI_LANES * 16], s0[SHANI_LANES], s1[SHANI_LANES];
        sha256ni_schedule((const uint32_t *)vkb, kwords, _mm_set1_epi32(p ? 0x5c5c5c5c : 0x36363636), wk);
        for (int l = 0; l < SHANI_LANES; l++) {
            s0[l] = _mm_set_epi32((int)iv[0], (int)iv[1], (int)iv[4], (int)iv[5]);
            s1[l] = _mm_set_epi32((int)iv[2], (int)iv[3], (int)iv[6], (int)iv[7]);
        }
        sha256ni_rounds(s0, s1, wk, 16);
        sha256ni_store((uint32_t *)(p ? vso : vsi), s0, s1);
    }
}

SHANI_TARGET static void sha256ni_outer(void *vso, const void *vsi, int dw, uint64_t bits)
{
    ALIGNED(16) uint32_t b[16 * SHANI_LANES];
    const uint32_t *si = (const uint32_t *)vsi;
    for (int i = 0; i < 16; i++)
        for (int l = 0; l < SHANI_LANES; l++)
            b[i * SHANI_LANES + l] = i < dw ? si[i * SHANI_LANES + l] : i == dw ? 0x80000000u : i == 15 ? (uint32_t)bits : 0;
    sha256ni_var(vso, b);
}

SHANI_TARGET static void sha256ni_chain(void *vst, const sched_t *s)
{
    __m128i s0[SHANI_LANES], s1[SHANI_LANES];
    sha256ni_load((const uint32_t *)vst, s0, s1);
    for (size_t i = 0; i < s->nblocks; i++)
        sha256ni_rounds(s0, s1, (const __m128i *)((const uint32_t *)s->kw + i * 64), 0);
    sha256ni_store((uint32_t *)vst, s0, s1);
}

/* AVX2: 8 lanes of 32-bit words, 4 of 64-bit. */
#define SIMD_TARGET __attribute__((target("avx2" SCAN_TUNE)))
#define SIMD_NAME(x) avx2_##x
#define V __m256i
#define L32 8
#define L64 4
#define SHA1_GROUPS 1
#define V_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define V_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), (v))
#define V_XOR(a, b) _mm256_xor_si256((a), (b))
#define V_ADD32(a, b) _mm256_add_epi32((a), (b))
#define V_SET32(x) _mm256_set1_epi32((int)(x))
#define V_ROL32(x, n) _mm256_or_si256(_mm256_slli_epi32((x), (n)), _mm256_srli_epi32((x), 32 - (n)))
#define V_ROR32(x, n) _mm256_or_si256(_mm256_srli_epi32((x), (n)), _mm256_slli_epi32((x), 32 - (n)))
#define V_SHR32(x, n) _mm256_srli_epi32((x), (n))
#define V_ADD64(a, b) _mm256_add_epi64((a), (b))
#define V_SET64(x) _mm256_set1_epi64x((long long)(x))
#define V_ROR64(x, n) _mm256_or_si256(_mm256_srli_epi64((x), (n)), _mm256_slli_epi64((x), 64 - (n)))
#define V_SHR64(x, n) _mm256_srli_epi64((x), (n))
#define V_XOR3(a, b, c) _mm256_xor_si256(_mm256_xor_si256((a), (b)), (c))
#define V_CH(a, b, c) _mm256_xor_si256((c), _mm256_and_si256((a), _mm256_xor_si256((b), (c))))
#define V_MAJ(a, b, c) _mm256_or_si256(_mm256_and_si256((a), (b)), _mm256_and_si256((c), _mm256_or_si256((a), (b))))
#include "_scan_simd.h"
#undef SIMD_TARGET
#undef SIMD_NAME
#undef V
#undef L32
#undef L64
#undef SHA1_GROUPS
#undef V_LOAD
#undef V_STORE
#undef V_XOR
#undef V_ADD32
#undef V_SET32
#undef V_ROL32
#undef V_ROR32
#undef V_SHR32
#undef V_ADD64
#undef V_SET64
#undef V_ROR64
#undef V_SHR64
#undef V_XOR3
#undef V_CH
#undef V_MAJ

/* AVX-512: 16 lanes of 32-bit words, 8 of 64-bit; rotates and three-input logic in one instruction. */
#define SIMD_TARGET __attribute__((target("avx512f,avx512bw,avx512vl" SCAN_TUNE)))
#define SIMD_NAME(x) avx512_##x
#define V __m512i
#define L32 16
#define L64 8
#define SHA1_GROUPS 2
#define V_LOAD(p) _mm512_loadu_si512((const void *)(p))
#define V_STORE(p, v) _mm512_storeu_si512((void *)(p), (v))
#define V_XOR(a, b) _mm512_xor_si512((a), (b))
#define V_ADD32(a, b) _mm512_add_epi32((a), (b))
#define V_SET32(x) _mm512_set1_epi32((int)(x))
#define V_ROL32(x, n) _mm512_rol_epi32((x), (n))
#define V_ROR32(x, n) _mm512_ror_epi32((x), (n))
#define V_SHR32(x, n) _mm512_srli_epi32((x), (n))
#define V_ADD64(a, b) _mm512_add_epi64((a), (b))
#define V_SET64(x) _mm512_set1_epi64((long long)(x))
#define V_ROR64(x, n) _mm512_ror_epi64((x), (n))
#define V_SHR64(x, n) _mm512_srli_epi64((x), (n))
#define V_XOR3(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0x96)
#define V_CH(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0xca)
#define V_MAJ(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0xe8)
#include "_scan_simd.h"

/* 16 keys of at most 64 bytes into 16 lanes of a SHA-1 / SHA-256 key block (rows `stride` words
 * apart): masked loads (no byte outside a key is read), byte swap, 16 x 16 transpose. */
SIMD_TARGET static inline __attribute__((always_inline)) void avx512_pack16(uint32_t *kb, int stride,
                                                                          const uint8_t *const *key,
                                                                          const size_t *len, int n)
{
    const __m512i bswap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
    __m512i r[16], t[16];
    for (int l = 0; l < 16; l++) {
        if (l < n && len[l]) {
            const __mmask64 m = len[l] >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << len[l]) - 1;
            r[l] = _mm512_shuffle_epi8(_mm512_maskz_loadu_epi8(m, key[l]), bswap);
        } else {
            r[l] = _mm512_setzero_si512();
        }
    }
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    /* r[4q + j]: in each 128-bit lane k, word 4k + j of rows 4q .. 4q + 3 */
    for (int q = 0; q < 4; q++) {
        r[4 * q] = _mm512_unpacklo_epi64(t[4 * q], t[4 * q + 2]);
        r[4 * q + 1] = _mm512_unpackhi_epi64(t[4 * q], t[4 * q + 2]);
        r[4 * q + 2] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
        r[4 * q + 3] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
    }
    for (int j = 0; j < 4; j++) {
        const __m512i x0 = _mm512_shuffle_i32x4(r[j], r[4 + j], 0x44), x1 = _mm512_shuffle_i32x4(r[j], r[4 + j], 0xee);
        const __m512i y0 = _mm512_shuffle_i32x4(r[8 + j], r[12 + j], 0x44),
                      y1 = _mm512_shuffle_i32x4(r[8 + j], r[12 + j], 0xee);
        _mm512_storeu_si512(kb + (0 + j) * stride, _mm512_shuffle_i32x4(x0, y0, 0x88));
        _mm512_storeu_si512(kb + (4 + j) * stride, _mm512_shuffle_i32x4(x0, y0, 0xdd));
        _mm512_storeu_si512(kb + (8 + j) * stride, _mm512_shuffle_i32x4(x1, y1, 0x88));
        _mm512_storeu_si512(kb + (12 + j) * stride, _mm512_shuffle_i32x4(x1, y1, 0xdd));
    }
}

SIMD_TARGET static void avx512_pack16x1(void *kb, const uint8_t *const *key, const size_t *len, int n)
{
    avx512_pack16((uint32_t *)kb, 16, key, len, n);
}

SIMD_TARGET static void avx512_pack16x2(void *kb, const uint8_t *const *key, const size_t *len, int n)
{
    avx512_pack16((uint32_t *)kb, 32, key, len, n);
    avx512_pack16((uint32_t *)kb + 16, 32, key + 16, len + 16, n - 16);
}

#define SIMD_OPS(name, eng, l1, l32, l64, pack1, pack32)                                                      \
    {{eng, l1, name##_sha1_var, name##_sha1_chain, name##_sha1_hmac_init, name##_sha1_outer, pack1},        \
     {eng, l32, name##_sha256_var, name##_sha256_chain, name##_sha256_hmac_init, name##_sha256_outer, pack32}, \
     {eng, l64, name##_sha512_var, name##_sha512_chain, name##_sha512_hmac_init, name##_sha512_outer, NULL}}
#define SCALAR_OPS                                                                                           \
    {{"scalar", 1, sha1_block, sha1_chain, NULL, NULL, NULL},                                                \
     {"scalar", 1, sha256_block, sha256_chain, NULL, NULL, NULL},                                            \
     {"scalar", 1, sha512_block, sha512_chain, NULL, NULL, NULL}}

static const ops_t ENGINE_OPS[ENG_COUNT][FAM_COUNT] = {
    [ENG_AVX512] = SIMD_OPS(avx512, "avx512", 32, 16, 8, avx512_pack16x2, avx512_pack16x1),
    [ENG_AVX2] = SIMD_OPS(avx2, "avx2", 8, 8, 4, NULL, NULL),
    [ENG_SHANI] = {{"sha-ni", SHANI_LANES, sha1ni_var, sha1ni_chain, sha1ni_hmac_init, sha1ni_outer, NULL},
                   {"sha-ni", SHANI_LANES, sha256ni_var, sha256ni_chain, sha256ni_hmac_init, sha256ni_outer, NULL},
                   {"scalar", 1, sha512_block, sha512_chain, NULL, NULL, NULL}},
    [ENG_SCALAR] = SCALAR_OPS,
};

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* Which engines this CPU (and OS: the vector registers must be saved on context switches) runs. */
static void detect_engines(int *ok)
{
    unsigned a, b, c, d;
    ok[ENG_SCALAR] = 1;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    const int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1, osxsave = (c >> 27) & 1;
    const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, sha = (b >> 29) & 1, avx512bw = (b >> 30) & 1,
              avx512vl = (b >> 31) & 1;
    const int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
    ok[ENG_SHANI] = sha && ssse3 && sse41;
    ok[ENG_AVX2] = avx2 && ymm;
    ok[ENG_AVX512] = avx512f && avx512bw && avx512vl && zmm;
}

#else /* not x86-64: scalar only */

static const ops_t ENGINE_OPS[ENG_COUNT][FAM_COUNT] = {
    [ENG_SCALAR] = {{"scalar", 1, sha1_block, sha1_chain, NULL, NULL, NULL},
                    {"scalar", 1, sha256_block, sha256_chain, NULL, NULL, NULL},
                    {"scalar", 1, sha512_block, sha512_chain, NULL, NULL, NULL}},
};

static void detect_engines(int *ok) { ok[ENG_SCALAR] = 1; }

#endif

static int ENGINE_OK[ENG_COUNT];

/* Automatic choice, fastest first (per CPU-second on AMD Zen 5, SHA-1 and SHA-256: avx512 about 3x
 * sha-ni, sha-ni about 1.2-1.3x avx2). An engine that would run a family scalar (sha-ni for
 * SHA-384/512) is passed over for that family. */
static const int ENGINE_ORDER[ENG_COUNT] = {ENG_AVX512, ENG_SHANI, ENG_AVX2, ENG_SCALAR};

/* --- the search's constant part -------------------------------------------------------------------- */

enum { DERIV_NONE, DERIV_HMAC, DERIV_CONCAT };

typedef struct scanner {
    int family, block, state_words, digest_words, deriv;
    words_t iv;
    ops_t ops;
    sched_t salt; /* "hmac": the salt, hashed after the key's ipad block */
    sched_t msg;  /* the signed text, hashed after the derived key's ipad block */
    words_t sig;  /* the signature to make */
    /* "concat" / "django-concat": the prefix's whole blocks hashed (mid), its remaining bytes (tail) */
    words_t mid;
    uint8_t tail[128];
    size_t tail_len;
    uint64_t prefix_full;
    int (*batch)(const struct scanner *c, const uint8_t *const *key, const size_t *len, int n);
} scanner_t;

/* Block `index` of message m (len bytes) padded for a hash that has already taken `pre` bytes. */
static void padded_block(const scanner_t *c, uint8_t *out, const uint8_t *a, size_t alen, const uint8_t *b,
                         size_t blen, size_t index, size_t nblocks, uint64_t pre)
{
    const size_t B = (size_t)c->block, start = index * B, total = alen + blen;
    memset(out, 0, B);
    /* the bytes of a + b in [start, start + B) */
    for (size_t k = 0; k < 2; k++) {
        const uint8_t *p = k ? b : a;
        const size_t lo = k ? alen : 0, n = k ? blen : alen;
        if (n == 0 || lo + n <= start || lo >= start + B)
            continue;
        const size_t from = start > lo ? start - lo : 0, to = start + B < lo + n ? start + B - lo : n;
        memcpy(out + (lo + from - start), p + from, to - from);
    }
    if (total >= start && total < start + B)
        out[total - start] = 0x80;
    if (index == nblocks - 1)
        store_be64(out + B - 8, (pre + total) * 8);
}

static size_t padded_blocks(const scanner_t *c, size_t len)
{
    const size_t B = (size_t)c->block, lenbytes = B / 8;
    return (len + 1 + lenbytes + B - 1) / B;
}

static void scalar_compress_bytes(const scanner_t *c, void *state, const uint8_t *bytes)
{
    if (c->family == FAM_SHA512) {
        uint64_t w[16];
        for (int i = 0; i < 16; i++)
            w[i] = load_be64(bytes + 8 * i);
        sha512_block(state, w);
    } else {
        uint32_t w[16];
        for (int i = 0; i < 16; i++)
            w[i] = load_be32(bytes + 4 * i);
        (c->family == FAM_SHA1 ? sha1_block : sha256_block)(state, w);
    }
}

/* Hash a + b into state (which has taken `pre` bytes already), padding included: one candidate,
 * scalar. For keys longer than a block, and "concat" messages longer than a batch takes. */
static void scalar_hash(const scanner_t *c, void *state, uint64_t pre, const uint8_t *a, size_t alen,
                        const uint8_t *b, size_t blen)
{
    uint8_t buf[128];
    const size_t nblocks = padded_blocks(c, alen + blen);
    for (size_t i = 0; i < nblocks; i++) {
        padded_block(c, buf, a, alen, b, blen, i, nblocks, pre);
        scalar_compress_bytes(c, state, buf);
    }
}

/* The schedule (K + W per round) of every block of a constant message. */
static int sched_build(const scanner_t *c, sched_t *s, const uint8_t *m, size_t len, uint64_t pre)
{
    const int rounds = family_rounds(c->family), wsize = c->family == FAM_SHA512 ? 8 : 4;
    const size_t nblocks = padded_blocks(c, len);
    const size_t kw_bytes = nblocks * rounds * wsize, wni_bytes = c->family == FAM_SHA1 ? nblocks * 80 * 4 : 0;
    s->nblocks = nblocks;
    s->memory = PyMem_Malloc(kw_bytes + wni_bytes + 64);
    if (s->memory == NULL)
        return -1;
    s->kw = (void *)(((uintptr_t)s->memory + 63) & ~(uintptr_t)63);
    s->wni = wni_bytes ? (uint32_t *)((uint8_t *)s->kw + kw_bytes) : NULL; /* kw_bytes: a multiple of 64 */
    uint8_t buf[128];
    for (size_t i = 0; i < nblocks; i++) {
        padded_block(c, buf, m, len, NULL, 0, i, nblocks, pre);
        if (c->family == FAM_SHA512) {
            uint64_t w[80];
            for (int t = 0; t < 16; t++)
                w[t] = load_be64(buf + 8 * t);
            sha512_expand(w);
            uint64_t *kw = (uint64_t *)s->kw + i * 80;
            for (int t = 0; t < 80; t++)
                kw[t] = w[t] + K512[t];
        } else if (c->family == FAM_SHA256) {
            uint32_t w[64];
            for (int t = 0; t < 16; t++)
                w[t] = load_be32(buf + 4 * t);
            sha256_expand(w);
            uint32_t *kw = (uint32_t *)s->kw + i * 64;
            for (int t = 0; t < 64; t++)
                kw[t] = w[t] + K256[t];
        } else {
            uint32_t w[80];
            for (int t = 0; t < 16; t++)
                w[t] = load_be32(buf + 4 * t);
            sha1_expand(w);
            uint32_t *kw = (uint32_t *)s->kw + i * 80, *wni = s->wni + i * 80;
            for (int t = 0; t < 80; t++) {
                kw[t] = w[t] + K1[t / 20];
                wni[t] = w[(t & ~3) + 3 - (t & 3)];
            }
        }
    }
    return 0;
}

static void sched_free(sched_t *s)
{
    PyMem_Free(s->memory);
    s->memory = s->kw = s->wni = NULL;
}

/* --- the per-batch pipeline, once per word size ------------------------------------------------------- */

#define W uint32_t
#define BATCH(x) batch32_##x
#define LOAD_BE(p) load_be32(p)
#define WORDS(u) ((u).w32)
#include "_scan_batch.h"
#undef W
#undef BATCH
#undef LOAD_BE
#undef WORDS

#define W uint64_t
#define BATCH(x) batch64_##x
#define LOAD_BE(p) load_be64(p)
#define WORDS(u) ((u).w64)
#include "_scan_batch.h"
#undef W
#undef BATCH
#undef LOAD_BE
#undef WORDS

/* --- lines ------------------------------------------------------------------------------------------ */

/* Bit i set: byte i of the 64 at p is \n or \r. */
static inline uint64_t break_mask(const uint8_t *p)
{
#ifdef SCAN_SSE2
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    uint64_t m = 0;
    for (int i = 0; i < 4; i++) {
        const __m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * i));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)))
             << (16 * i);
    }
    return m;
#else
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)(p[i] == '\n' || p[i] == '\r') << i;
    return m;
#endif
}

static inline int lowest_bit(uint64_t m)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(m);
#else
    int i = 0;
    while (!(m & 1)) {
        m >>= 1;
        i++;
    }
    return i;
#endif
}

/* Every non-empty line of d is a candidate; lines end at \n, \r\n or \r (so a line is a maximal
 * run of other bytes). Sets the offset of the first matching line (or -1) and the candidates tried
 * (up to and including the match).
 *
 * 64 bytes at a time: from the mask of line-break bytes, a line starts where a break is followed
 * by another byte and ends where another byte is followed by a break; starts and ends alternate.
 * The last window is copied so that nothing past d + n is read; the bytes past n count as breaks. */
static void scan_lines(const scanner_t *c, const uint8_t *d, size_t n, Py_ssize_t *hit, uint64_t *tried)
{
    const int nl = c->ops.lanes;
    const uint8_t *key[MAX_LANES];
    size_t len[MAX_LANES], off[MAX_LANES];
    uint64_t done = 0, before = 1; /* before: the byte before the window is a break (or the start) */
    size_t start = 0;
    int k = 0, open = 0;
    for (size_t base = 0; base < n; base += 64) {
        uint64_t brk;
        if (n - base >= 64) {
            brk = break_mask(d + base);
        } else {
            uint8_t last[64];
            memset(last, '\n', sizeof last);
            memcpy(last, d + base, n - base);
            brk = break_mask(last);
        }
        const uint64_t shifted = (brk << 1) | before;
        uint64_t edges = (~brk & shifted) | (brk & ~shifted); /* line starts and line ends */
        before = brk >> 63;
        while (edges) {
            const size_t pos = base + (size_t)lowest_bit(edges);
            edges &= edges - 1;
            if (!open) {
                start = pos;
                open = 1;
                continue;
            }
            open = 0;
            key[k] = d + start;
            len[k] = (pos < n ? pos : n) - start;
            off[k] = start;
            if (++k < nl)
                continue;
            const int lane = c->batch(c, key, len, k);
            if (lane >= 0) {
                *hit = (Py_ssize_t)off[lane];
                *tried = done + (uint64_t)lane + 1;
                return;
            }
            done += (uint64_t)k;
            k = 0;
        }
    }
    if (open) { /* the last line fills the last window to its end: it ends at n */
        key[k] = d + start;
        len[k] = n - start;
        off[k] = start;
        k++;
    }
    if (k) {
        const int lane = c->batch(c, key, len, k);
        if (lane >= 0) {
            *hit = (Py_ssize_t)off[lane];
            *tried = done + (uint64_t)lane + 1;
            return;
        }
        done += (uint64_t)k;
    }
    *hit = -1;
    *tried = done;
}

static Py_ssize_t match_keys(const scanner_t *c, const Py_buffer *keys, Py_ssize_t n)
{
    const int nl = c->ops.lanes;
    const uint8_t *key[MAX_LANES];
    size_t len[MAX_LANES];
    for (Py_ssize_t start = 0; start < n; start += nl) {
        const int k = n - start < nl ? (int)(n - start) : nl;
        for (int l = 0; l < k; l++) {
            key[l] = (const uint8_t *)keys[start + l].buf;
            len[l] = (size_t)keys[start + l].len;
        }
        const int lane = c->batch(c, key, len, k);
        if (lane >= 0)
            return start + lane;
    }
    return -1;
}

/* --- the Python type ----------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    scanner_t c;
} ScannerObject;

static int scanner_setup(scanner_t *c, const Py_buffer *signed_text, const Py_buffer *signature,
                         const Py_buffer *salt, const char *digest, const char *derivation, const char *engine)
{
    const digest_t *dg = NULL;
    for (size_t i = 0; i < sizeof DIGESTS / sizeof DIGESTS[0]; i++)
        if (strcmp(digest, DIGESTS[i].name) == 0)
            dg = &DIGESTS[i];
    if (dg == NULL) {
        PyErr_Format(PyExc_ValueError, "unknown digest %s (sha1, sha224, sha256, sha384 or sha512)", digest);
        return -1;
    }
    if (strcmp(derivation, "hmac") == 0)
        c->deriv = DERIV_HMAC;
    else if (strcmp(derivation, "concat") == 0 || strcmp(derivation, "django-concat") == 0)
        c->deriv = DERIV_CONCAT;
    else if (strcmp(derivation, "none") == 0)
        c->deriv = DERIV_NONE;
    else {
        PyErr_Format(PyExc_ValueError, "unknown key derivation %s (hmac, concat, django-concat or none)", derivation);
        return -1;
    }
    if (signed_text->len > MAX_SIGNED || salt->len > MAX_SIGNED) {
        PyErr_SetString(PyExc_ValueError, "the signed text or the salt is longer than 1 MiB: no cookie is");
        return -1;
    }
    const size_t dsize = (size_t)dg->digest_words * dg->word_size;
    if ((size_t)signature->len != dsize) {
        PyErr_Format(PyExc_ValueError, "the signature is %zd bytes but %s makes %zu", signature->len, digest, dsize);
        return -1;
    }
    int eng = -1;
    if (engine == NULL) {
        for (int i = 0; i < ENG_COUNT && eng < 0; i++) {
            const int e = ENGINE_ORDER[i];
            if (ENGINE_OK[e] && strcmp(ENGINE_OPS[e][dg->family].engine, ENGINE_NAMES[e]) == 0)
                eng = e;
        }
    } else {
        for (int i = 0; i < ENG_COUNT; i++)
            if (strcmp(engine, ENGINE_NAMES[i]) == 0)
                eng = i;
        if (eng < 0) {
            PyErr_Format(PyExc_ValueError, "unknown engine %s (avx512, avx2, sha-ni or scalar)", engine);
            return -1;
        }
        if (!ENGINE_OK[eng]) {
            PyErr_Format(PyExc_ValueError, "engine %s is not supported on this CPU", engine);
            return -1;
        }
    }
    c->family = dg->family;
    c->block = dg->block;
    c->state_words = dg->state_words;
    c->digest_words = dg->digest_words;
    c->iv = dg->iv;
    c->ops = ENGINE_OPS[eng][dg->family];
    c->batch = dg->word_size == 8 ? batch64_batch : batch32_batch;

    const uint8_t *sig = (const uint8_t *)signature->buf;
    for (int i = 0; i < dg->digest_words; i++) {
        if (dg->word_size == 8)
            c->sig.w64[i] = load_be64(sig + 8 * i);
        else
            c->sig.w32[i] = load_be32(sig + 4 * i);
    }
    if (c->deriv == DERIV_HMAC && sched_build(c, &c->salt, salt->buf, (size_t)salt->len, (uint64_t)c->block) < 0)
        goto nomem;
    if (sched_build(c, &c->msg, signed_text->buf, (size_t)signed_text->len, (uint64_t)c->block) < 0)
        goto nomem;
    if (c->deriv == DERIV_CONCAT) {
        static const uint8_t signer[] = "signer";
        const size_t extra = strcmp(derivation, "django-concat") == 0 ? 6 : 0;
        const size_t plen = (size_t)salt->len + extra;
        uint8_t *prefix = PyMem_Malloc(plen + 1);
        if (prefix == NULL)
            goto nomem;
        memcpy(prefix, salt->buf, (size_t)salt->len);
        memcpy(prefix + salt->len, signer, extra);
        const size_t full = plen / c->block * c->block;
        c->mid = c->iv;
        for (size_t i = 0; i < full; i += c->block)
            scalar_compress_bytes(c, c->family == FAM_SHA512 ? (void *)c->mid.w64 : (void *)c->mid.w32, prefix + i);
        c->prefix_full = full;
        c->tail_len = plen - full;
        memcpy(c->tail, prefix + full, c->tail_len);
        PyMem_Free(prefix);
    }
    return 0;
nomem:
    PyErr_NoMemory();
    return -1;
}

static PyObject *scanner_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"signed", "signature", "salt", "digest", "key_derivation", "engine", NULL};
    Py_buffer signed_text, signature, salt;
    const char *digest, *derivation, *engine = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*y*y*ss|z:Scanner", kwlist, &signed_text, &signature, &salt,
                                     &digest, &derivation, &engine))
        return NULL;
    ScannerObject *self = (ScannerObject *)type->tp_alloc(type, 0);
    if (self != NULL && scanner_setup(&self->c, &signed_text, &signature, &salt, digest, derivation, engine) < 0)
        Py_CLEAR(self);
    PyBuffer_Release(&signed_text);
    PyBuffer_Release(&signature);
    PyBuffer_Release(&salt);
    return (PyObject *)self;
}

static void scanner_dealloc(ScannerObject *self)
{
    sched_free(&self->c.salt);
    sched_free(&self->c.msg);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyDoc_STRVAR(scan_doc,
             "scan(data) -> (offset, tried)\n\n"
             "Try every non-empty line of data (any buffer; lines end at \\n, \\r\\n or \\r) as the key.\n"
             "Returns the byte offset of the first line whose key makes the signature, or -1, and the\n"
             "candidates tried (up to and including that line). The GIL is released throughout.");

static PyObject *scanner_scan(ScannerObject *self, PyObject *arg)
{
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    Py_ssize_t hit;
    uint64_t tried;
    Py_BEGIN_ALLOW_THREADS
    scan_lines(&self->c, (const uint8_t *)data.buf, (size_t)data.len, &hit, &tried);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return Py_BuildValue("(nK)", hit, (unsigned long long)tried);
}

PyDoc_STRVAR(match_doc,
             "match(keys) -> index\n\n"
             "The index of the first key (bytes-like, any bytes) that makes the signature, or -1.");

static PyObject *scanner_match(ScannerObject *self, PyObject *arg)
{
    PyObject *seq = PySequence_Fast(arg, "match() takes a sequence of bytes");
    if (seq == NULL)
        return NULL;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Py_buffer *keys = PyMem_Calloc(n ? (size_t)n : 1, sizeof(Py_buffer));
    Py_ssize_t got = 0, index = -1;
    if (keys == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; got < n; got++)
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, got), &keys[got], PyBUF_SIMPLE) < 0)
            goto done;
    Py_BEGIN_ALLOW_THREADS
    index = match_keys(&self->c, keys, n);
    Py_END_ALLOW_THREADS
done:
    for (Py_ssize_t i = 0; i < got; i++)
        PyBuffer_Release(&keys[i]);
    PyMem_Free(keys);
    Py_DECREF(seq);
    return PyErr_Occurred() ? NULL : PyLong_FromSsize_t(index);
}

static PyObject *scanner_engine(ScannerObject *self, void *closure)
{
    return PyUnicode_FromString(self->c.ops.engine);
}

static PyObject *scanner_lanes(ScannerObject *self, void *closure)
{
    return PyLong_FromLong(self->c.ops.lanes);
}

static PyMethodDef scanner_methods[] = {
    {"scan", (PyCFunction)scanner_scan, METH_O, scan_doc},
    {"match", (PyCFunction)scanner_match, METH_O, match_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef scanner_getset[] = {
    {"engine", (getter)scanner_engine, NULL, "The path that runs: avx512, avx2, sha-ni or scalar.", NULL},
    {"lanes", (getter)scanner_lanes, NULL, "Candidates hashed together.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(scanner_doc,
             "Scanner(signed, signature, salt, digest, key_derivation, engine=None)\n\n"
             "The key search for one signature: itsdangerous' HMAC(derive(key, salt), signed).\n"
             "digest: sha1, sha224, sha256, sha384, sha512; key_derivation: hmac, concat, django-concat,\n"
             "none. engine forces an engine (ValueError if this CPU lacks it); None picks the fastest.");

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "flasksess_cli.audit._scan.Scanner",
    .tp_basicsize = sizeof(ScannerObject),
    .tp_dealloc = (destructor)scanner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = scanner_doc,
    .tp_methods = scanner_methods,
    .tp_getset = scanner_getset,
    .tp_new = scanner_new,
};

static PyObject *module_engines(PyObject *module, PyObject *unused)
{
    PyObject *out = PyTuple_New(0);
    for (int i = 0; i < ENG_COUNT && out != NULL; i++) {
        const int e = ENGINE_ORDER[i];
        if (!ENGINE_OK[e])
            continue;
        PyObject *name = PyUnicode_FromString(ENGINE_NAMES[e]);
        const Py_ssize_t size = PyTuple_GET_SIZE(out);
        if (name == NULL || _PyTuple_Resize(&out, size + 1) < 0) {
            Py_XDECREF(name);
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(out, size, name);
    }
    return out;
}

/* --- line_breaks: the line count a wordlist chunk adds (flasksess numbers hits by it) ------------------- */

/* Line terminators in d[0..n): each \n, each lone \r, a \r\n once. SSE2: per byte, 0xFF where a line
 * ends (\n, or \r not followed by \n), subtracted into byte counters that are summed every 255 rounds. */
static uint64_t count_breaks(const uint8_t *d, size_t n)
{
    uint64_t count = 0;
    size_t i = 0;
#ifdef SCAN_SSE2
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), zero = _mm_setzero_si128();
    while (i + 17 <= n) {
        __m128i counters = zero;
        for (int round = 0; round < 255 && i + 17 <= n; round++, i += 16) {
            const __m128i x = _mm_loadu_si128((const __m128i *)(d + i));
            const __m128i next = _mm_loadu_si128((const __m128i *)(d + i + 1));
            const __m128i lone_cr = _mm_andnot_si128(_mm_cmpeq_epi8(next, lf), _mm_cmpeq_epi8(x, cr));
            counters = _mm_sub_epi8(counters, _mm_or_si128(_mm_cmpeq_epi8(x, lf), lone_cr));
        }
        const __m128i sums = _mm_sad_epu8(counters, zero);
        count += (uint64_t)_mm_cvtsi128_si64(sums) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; i < n; i++)
        if (d[i] == '\n' || (d[i] == '\r' && !(i + 1 < n && d[i + 1] == '\n')))
            count++;
    return count;
}

static PyObject *module_line_breaks(PyObject *module, PyObject *arg)
{
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    uint64_t n;
    Py_BEGIN_ALLOW_THREADS
    n = count_breaks((const uint8_t *)data.buf, (size_t)data.len);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLongLong((unsigned long long)n);
}

static PyMethodDef module_methods[] = {
    {"engines", module_engines, METH_NOARGS, "The engines this CPU runs, fastest first."},
    {"line_breaks", module_line_breaks, METH_O,
     "line_breaks(data) -> int\n\nLine terminators in data (any buffer): each \\n, each \\r, a \\r\\n once. "
     "The GIL is released."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef scan_module = {
    PyModuleDef_HEAD_INIT, "_scan", "The native key search behind flasksess audit cookie.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    detect_engines(ENGINE_OK);
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&scan_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
