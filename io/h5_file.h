/* What every HDF5 file of disco shares: errors that name the file and HDF5's
   own reason, and writing under a temporary name that is renamed only once
   the data is on disk. */
#ifndef DISCO_H5_FILE_H
#define DISCO_H5_FILE_H

#include <hdf5.h>
#include <stddef.h>

#include "disco/error.h"

__attribute__((format(printf, 4, 5))) DISCO_NORETURN void h5_fail(const char *src, int line, const char *path,
                                                                   const char *fmt, ...);

/* HDF5 calls return a negative hid_t, herr_t or htri_t on failure. */
#define H5_CHECK(status, path, ...)                                       \
    do {                                                                  \
        if ((status) < 0) h5_fail(__FILE__, __LINE__, path, __VA_ARGS__); \
    } while (0)

/* Creates "<path>.tmp" (its name written into tmp) for writing. */
hid_t h5_create_temporary(const char *path, char *tmp, size_t tmp_size);
/* Flushes and closes the file, syncs it to disk and renames tmp to path. */
void h5_publish(hid_t file, const char *tmp, const char *path);
/* Scalar attributes on a file or object; errors name the file, the attribute
   and the object when it is not the root group. */
void h5_write_attribute(hid_t object, const char *path, const char *name, hid_t file_type, hid_t memory_type,
                        const void *value);
/* A UTF-8 string, so that h5py reads it as str rather than bytes. */
void h5_write_string(hid_t object, const char *path, const char *name, const char *value);
void h5_read_attribute(hid_t object, const char *path, const char *name, hid_t memory_type, void *value);
/* A fixed-length string attribute of any length and character set, cut to
   fit size bytes (terminator included). */
void h5_read_string(hid_t object, const char *path, const char *name, char *value, size_t size);
/* The same whole, in a buffer of its own that the caller frees. */
char *h5_read_new_string(hid_t object, const char *path, const char *name);

/* HDF5 prints a page of stack for one missing link; the messages here name
   the file and the object instead. The thread-safe build keeps this setting
   per thread, so a thread of its own that calls HDF5 calls this first. */
void h5_quiet_errors(void);

/* Opens an existing HDF5 file; `what` names its kind in the errors. */
hid_t h5_open_readonly(const char *path, const char *what);

#endif
