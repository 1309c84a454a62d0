/*  sq_sha256 - SHA-256 (FIPS 180-4), for package checksums */
#include "sq_sha256.h"

#include <ctype.h>
#include <string.h>

//  The first 32 bits of the fractional parts of the cube roots of the
//  first 64 primes (FIPS 180-4, 4.2.2).
static const uint32_t s_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline uint32_t
s_rotr (uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

//  Process one 64-byte block (FIPS 180-4, 6.2.2).
static void
s_compress (uint32_t state[8], const uint8_t *block)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t) block[4 * t] << 24 | (uint32_t) block[4 * t + 1] << 16 |
               (uint32_t) block[4 * t + 2] << 8 | (uint32_t) block[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = s_rotr (w[t - 15], 7) ^ s_rotr (w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = s_rotr (w[t - 2], 17) ^ s_rotr (w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t sigma1 = s_rotr (e, 6) ^ s_rotr (e, 11) ^ s_rotr (e, 25);
        uint32_t choose = (e & f) ^ (~e & g);
        uint32_t t1 = h + sigma1 + choose + s_k[t] + w[t];
        uint32_t sigma0 = s_rotr (a, 2) ^ s_rotr (a, 13) ^ s_rotr (a, 22);
        uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = sigma0 + majority;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void
sq_sha256_init (sq_sha256_t *self)
{
    //  The first 32 bits of the fractional parts of the square roots of
    //  the first 8 primes (FIPS 180-4, 5.3.3).
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy (self->state, initial, sizeof initial);
    self->length = 0;
    self->block_used = 0;
}

void
sq_sha256_update (sq_sha256_t *self, const void *data, size_t size)
{
    const uint8_t *bytes = data;
    self->length += size;
    if (self->block_used > 0) {
        size_t take = 64 - self->block_used < size ? 64 - self->block_used : size;
        memcpy (self->block + self->block_used, bytes, take);
        self->block_used += take;
        bytes += take;
        size -= take;
        if (self->block_used < 64)
            return;
        s_compress (self->state, self->block);
        self->block_used = 0;
    }
    for (; size >= 64; bytes += 64, size -= 64)
        s_compress (self->state, bytes);
    if (size > 0) {
        memcpy (self->block, bytes, size);
        self->block_used = size;
    }
}

void
sq_sha256_final (sq_sha256_t *self, uint8_t digest[SQ_SHA256_SIZE])
{
    uint64_t bits = self->length * 8;
    self->block[self->block_used++] = 0x80;
    if (self->block_used > 56) {
        memset (self->block + self->block_used, 0, 64 - self->block_used);
        s_compress (self->state, self->block);
        self->block_used = 0;
    }
    memset (self->block + self->block_used, 0, 56 - self->block_used);
    for (int i = 0; i < 8; i++)
        self->block[56 + i] = (uint8_t) (bits >> (56 - 8 * i));
    s_compress (self->state, self->block);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = (uint8_t) (self->state[i] >> (24 - 8 * j));
    self->block_used = 0;
}

void
sq_sha256_hex (const void *data, size_t size, char hex[SQ_SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    sq_sha256_t hash;
    uint8_t digest[SQ_SHA256_SIZE];
    sq_sha256_init (&hash);
    sq_sha256_update (&hash, data, size);
    sq_sha256_final (&hash, digest);
    for (int i = 0; i < SQ_SHA256_SIZE; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * SQ_SHA256_SIZE] = 0;
}

bool
sq_sha256_is_hex (const char *text)
{
    size_t length = 0;
    for (; text[length]; length++)
        if (!isxdigit ((unsigned char) text[length]) || length >= 2 * SQ_SHA256_SIZE)
            return false;
    return length == 2 * SQ_SHA256_SIZE;
}
