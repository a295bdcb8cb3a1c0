/* Importers: turn a dataset as it is distributed into one shard (shards.h).
 *
 * Every importer refuses to replace an existing output unless told to, so a
 * finished import is never lost to a mistyped command. */
#ifndef DISCO_IMPORT_H
#define DISCO_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *data_dir; /* the gzip'd IDX files, as the Debian package installs them */
    const char *split;    /* "train" or "t10k" */
    int size;             /* 28 keeps the images; 32 centres them on a black 32x32 canvas */
    bool rgb;             /* repeat the grey value into 3 channels */
    bool force;           /* replace an existing output */
} FmnistImport;

/* Writes the split to the shard at out; returns the number of images. */
int64_t import_fmnist(const FmnistImport *options, const char *out);

#ifdef __cplusplus
}
#endif

#endif
