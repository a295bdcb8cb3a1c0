/* Changes to HDF5 files made through the HDF5 API, as a foreign writer or
   damage might make them, for suites that check how readers take them.
   Each opens the file read-write, makes one change and closes it; HDF5
   refusing fails the current test. */
#ifndef DISCO_H5_EDIT_H
#define DISCO_H5_EDIT_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Overwrites an existing int attribute of the root group. */
void edit_int_attribute(const char *path, const char *name, int value);
/* Replaces a dataset with an empty contiguous one of the given type and shape. */
void edit_replace_dataset(const char *path, const char *name, hid_t type, int rank, const hsize_t *dims);
/* Overwrites element `index` along the first dimension (a label, a whole image). */
void edit_overwrite(const char *path, const char *name, int64_t index, const void *value, hid_t type);
/* Replaces the stored bytes of the chunk starting at `index` along the first
   dimension. Bit i of skipped_filters set says filter i was not applied. */
void edit_replace_chunk(const char *path, const char *name, int64_t index, uint32_t skipped_filters,
                        const void *bytes, size_t size);

#endif
