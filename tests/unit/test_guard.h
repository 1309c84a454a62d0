/*  test_guard - read-only copies of test input that end at a PROT_NONE page

    A decoder that reads one byte past its input usually reads a byte of
    the same heap block, and only a sanitizer notices. test_guard_copy
    places the copy so that its last byte is the last byte of a page and
    the next page is mapped PROT_NONE: reading past the end faults in
    every build, and the test (or the fuzz replay's child) dies of
    SIGSEGV. The copy's pages are read-only, so writing into the input
    faults too. Each copy costs a system call or three: fine for tests
    that decode thousands of inputs, too slow for millions.

    Used by tests/unit/test_codec.c and tests/fuzz/fuzz_replay.c. Header
    only, like test_random.h: each including program has its own copy.
*/
#ifndef TEST_GUARD_H_INCLUDED
#define TEST_GUARD_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

//  Bytes in the pages that hold size bytes of data.
static inline size_t
test_guard_span (size_t size)
{
    size_t page = (size_t) sysconf (_SC_PAGESIZE);
    return (size + page - 1) / page * page;
}

//  A read-only copy of size bytes of data whose end touches an inaccessible
//  page (for size 0: a pointer to that page). Aborts when the mapping
//  fails: that is the test machine's problem, not the input's. Free it
//  with test_guard_free, giving the same size.
static inline const uint8_t *
test_guard_copy (const void *data, size_t size)
{
    size_t span = test_guard_span (size);
    size_t page = (size_t) sysconf (_SC_PAGESIZE);
    uint8_t *map =
        mmap (NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        perror ("test_guard_copy: mmap");
        abort ();
    }
    uint8_t *copy = map + span - size;
    if (size)
        memcpy (copy, data, size);
    if (mprotect (map + span, page, PROT_NONE) != 0 || (span && mprotect (map, span, PROT_READ))) {
        perror ("test_guard_copy: mprotect");
        abort ();
    }
    return copy;
}

//  Unmaps a copy made by test_guard_copy with this size; NULL-safe;
//  nulls the caller's pointer.
static inline void
test_guard_free (const uint8_t **copy_p, size_t size)
{
    if (!copy_p || !*copy_p)
        return;
    const uint8_t *copy = *copy_p;
    *copy_p = NULL;
    size_t span = test_guard_span (size);
    size_t page = (size_t) sysconf (_SC_PAGESIZE);
    uint8_t *map = (uint8_t *) (uintptr_t) (copy + size - span);
    munmap (map, span + page);
}

#endif
