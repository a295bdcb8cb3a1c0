#include "file_fuzz.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* 0: read back unchanged; 1: a clean fatal error; 2: read back changed.
   `damage` says what was done to the file, for the failure message. */
static int read_in_child(const char *path, FuzzRead read_back, const char *damage) {
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm(20); /* a hang would end in SIGALRM, which the parent reports */
        if (!freopen("/dev/null", "w", stderr)) _exit(4);
        _exit(read_back(path) ? 0 : 2);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(!WIFSIGNALED(status), "'%s' (%s) killed the reader with signal %d", path, damage,
                  WTERMSIG(status));
    return WEXITSTATUS(status);
}

static void write_bytes(const char *path, const uint8_t *bytes, long size) {
    FILE *f = fopen(path, "wb");
    ck_assert(f && fwrite(bytes, 1, (size_t)size, f) == (size_t)size && fclose(f) == 0);
}

int fuzz_file(const char *good, const char *bad, int flips, FuzzRead read_back) {
    FILE *f = fopen(good, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    uint8_t *bytes = malloc((size_t)size);
    ck_assert_int_eq(fread(bytes, 1, (size_t)size, f), size);
    fclose(f);

    char damage[128];
    for (int cut = 1; cut <= 16; cut++) {
        snprintf(damage, sizeof damage, "cut to %ld of %ld bytes", size * cut / 17, size);
        write_bytes(bad, bytes, size * cut / 17);
        ck_assert_msg(read_in_child(bad, read_back, damage) == EXIT_FAILURE, "'%s' %s did not fail", good, damage);
    }
    uint32_t state = 12345;
    int unchanged = 0;
    for (int trial = 0; trial < flips; trial++) {
        state = state * 1664525u + 1013904223u;
        long at = (long)(state >> 8) % size;
        uint8_t bit = (uint8_t)(1u << (state & 7));
        bytes[at] ^= bit;
        write_bytes(bad, bytes, size);
        snprintf(damage, sizeof damage, "bit %u of byte %ld of %ld flipped", state & 7, at, size);
        int code = read_in_child(bad, read_back, damage);
        ck_assert_msg(code == 0 || code == EXIT_FAILURE, "'%s' with %s gave exit code %d", good, damage, code);
        unchanged += code == 0;
        bytes[at] ^= bit;
    }
    free(bytes);
    return unchanged;
}
