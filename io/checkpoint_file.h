/* What writing, loading and examining a checkpoint share: the format version
   and the checksums (docs/formats.md, "Checkpoints"). Each dataset's crc32
   covers its floats; the root's crc32 covers everything else a load uses,
   the root attributes and every dataset's name and shape, so that no single
   damaged byte can change what a checkpoint loads as without being noticed. */
#ifndef DISCO_CHECKPOINT_FILE_H
#define DISCO_CHECKPOINT_FILE_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2: the checksums, which every reader checks. */
enum { CHECKPOINT_FORMAT_VERSION = 2 };

/* Writes a dataset's crc32 attribute over the n floats just written to it. */
void checkpoint_write_crc(hid_t set, const char *path, const float *data, size_t n);
/* Writes the root's crc32: the last thing before the file is published. */
void checkpoint_seal(hid_t file, const char *path);

/* Opens a checkpoint and checks its version and the root's crc32, and with
   every_dataset reads every dataset and checks it against its own crc32.
   Fatal, naming the file (and the dataset), on any problem. */
hid_t checkpoint_open(const char *path, bool every_dataset);
/* Reads a dataset of n floats and checks it against its crc32; `name`
   ("/params/x") is for the errors. */
void checkpoint_read_verified(hid_t set, const char *path, const char *name, float *data, size_t n);

#endif
