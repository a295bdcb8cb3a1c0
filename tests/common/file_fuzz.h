/* Damaged copies of a file, each read in a forked child: the code under
   test must end every one in a clean fatal error (exit code EXIT_FAILURE)
   or read it back unchanged, never in a signal or a hang. */
#ifndef DISCO_FILE_FUZZ_H
#define DISCO_FILE_FUZZ_H

#include <stdbool.h>

/* Reads the file at path as the suite's code does; true when everything
   reads back as written. Damage it notices must end in DISCO_FATAL. */
typedef bool (*FuzzRead)(const char *path);

/* Writes to `bad` the file `good` cut to 1/17 ... 16/17 of its length, then
   `flips` copies each with one bit flipped at a pseudo-random offset (the
   same offsets every run), and runs read_back(bad) in a forked child for each.
   Fails the current test when a cut file does not end in a fatal error, or
   when any copy ends otherwise than in a fatal error or read_back's true.
   Returns how many flips read back unchanged. */
int fuzz_file(const char *good, const char *bad, int flips, FuzzRead read_back);

#endif
