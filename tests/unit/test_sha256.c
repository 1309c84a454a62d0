/*  test_sha256 - sq_sha256 against the standard test vectors

    The vectors are FIPS 180-4's examples (NIST's "SHA256.pdf") and the
    million-'a' message of the NESSIE set; the padding boundaries (55, 56,
    63, 64 ... bytes) are checked against digests from another
    implementation, whole and fed in pieces of every size.
*/
#include "sq_sha256.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_check_hex (const void *data, size_t size, const char *expected)
{
    char hex[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (data, size, hex);
    ck_assert_str_eq (hex, expected);
}

START_TEST (test_standard_vectors)
{
    s_check_hex ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    s_check_hex ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    s_check_hex (two_blocks, strlen (two_blocks),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *long_message = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                               "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    s_check_hex (long_message, strlen (long_message),
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST (test_million_a)
{
    //  Fed in uneven pieces, so that blocks straddle the updates.
    char piece[997];
    memset (piece, 'a', sizeof piece);
    sq_sha256_t hash;
    sq_sha256_init (&hash);
    size_t left = 1000000;
    while (left > 0) {
        size_t take = left < sizeof piece ? left : sizeof piece;
        sq_sha256_update (&hash, piece, take);
        left -= take;
    }
    uint8_t digest[SQ_SHA256_SIZE];
    sq_sha256_final (&hash, digest);
    static const uint8_t expected[SQ_SHA256_SIZE] = {
        0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
        0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
        0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    ck_assert_mem_eq (digest, expected, SQ_SHA256_SIZE);
}
END_TEST

START_TEST (test_padding_boundaries)
{
    static const struct {
        size_t size;
        const char *hex;
    } vectors[] = {
        {55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"},
        {56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"},
        {57, "2fe741af801cc238602ac0ec6a7b0c3a8a87c7fc7d7f02a3fe03d1c12eac4d8f"},
        {63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"},
        {64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"},
        {65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"},
        {119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"},
        {120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"},
    };
    uint8_t data[120];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t) (i % 251);
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        s_check_hex (data, vectors[v].size, vectors[v].hex);
        //  The same bytes in pieces of every size give the same digest.
        for (size_t piece = 1; piece <= vectors[v].size; piece++) {
            sq_sha256_t hash;
            sq_sha256_init (&hash);
            for (size_t at = 0; at < vectors[v].size; at += piece)
                sq_sha256_update (&hash, data + at,
                                  vectors[v].size - at < piece ? vectors[v].size - at : piece);
            uint8_t digest[SQ_SHA256_SIZE];
            sq_sha256_final (&hash, digest);
            char hex[SQ_SHA256_HEX_SIZE];
            for (int i = 0; i < SQ_SHA256_SIZE; i++)
                sprintf (hex + 2 * i, "%02x", digest[i]);
            ck_assert_msg (strcmp (hex, vectors[v].hex) == 0, "size %zu in pieces of %zu: %s",
                           vectors[v].size, piece, hex);
        }
    }
}
END_TEST

START_TEST (test_is_hex)
{
    ck_assert (
        sq_sha256_is_hex ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    ck_assert (
        sq_sha256_is_hex ("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    ck_assert (!sq_sha256_is_hex (""));
    ck_assert (!sq_sha256_is_hex ("e3b0"));
    ck_assert (
        !sq_sha256_is_hex ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
    ck_assert (
        !sq_sha256_is_hex ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555"));
    ck_assert (
        !sq_sha256_is_hex ("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("sha256");
    TCase *tcase = tcase_create ("core");
    tcase_add_test (tcase, test_standard_vectors);
    tcase_add_test (tcase, test_million_a);
    tcase_add_test (tcase, test_padding_boundaries);
    tcase_add_test (tcase, test_is_hex);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
