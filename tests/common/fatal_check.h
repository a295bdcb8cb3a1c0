/* For suites whose fatal errors must name what is wrong: a scratch directory
   for the files a test writes, and exit tests that check the message.

   check runs each test in a forked child. expect_fatal_mentioning sends the
   child's stderr to a file and installs an abort hook that reads it back and
   turns a message lacking any of the expected texts into exit code 3, so
   tcase_add_exit_test(..., EXIT_FAILURE) fails for it.

   Header-only, with static functions, because each suite is one translation
   unit and tests/common is shared by every suite. */
#ifndef DISCO_FATAL_CHECK_H
#define DISCO_FATAL_CHECK_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disco/error.h"

typedef char Path[512];

static char scratch_dir[] = "/tmp/disco_test_XXXXXX";
static Path stderr_path;
static const char *expected_text[3];

static inline void scratch_path(Path path, const char *name) {
    snprintf(path, sizeof(Path), "%s/%s", scratch_dir, name);
}

static inline void scratch_create(void) {
    DISCO_CHECK(mkdtemp(scratch_dir), "cannot create a directory like %s", scratch_dir);
    scratch_path(stderr_path, "stderr.txt");
}

static inline int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static inline void scratch_remove(void) { nftw(scratch_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS); }

static inline void check_message(int exit_code) {
    fflush(stderr);
    char message[4096] = {0};
    FILE *f = fopen(stderr_path, "r");
    size_t n = f ? fread(message, 1, sizeof message - 1, f) : 0;
    message[n] = '\0';
    for (int i = 0; i < 3; i++)
        if (expected_text[i] && !strstr(message, expected_text[i])) {
            fprintf(stdout, "message '%s' lacks '%s'\n", message, expected_text[i]);
            _exit(3);
        }
    _exit(exit_code);
}

/* Up to three texts the coming fatal message must contain (NULL: none). */
static inline void expect_fatal_mentioning(const char *a, const char *b, const char *c) {
    DISCO_CHECK(freopen(stderr_path, "w", stderr), "cannot redirect stderr to %s", stderr_path);
    expected_text[0] = a, expected_text[1] = b, expected_text[2] = c;
    disco_set_abort_hook(check_message);
}

/* Writes text to a file in the scratch directory; path receives its name. */
static inline void write_text(Path path, const char *name, const char *text) {
    scratch_path(path, name);
    FILE *f = fopen(path, "w");
    DISCO_CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
}

#endif
