#include "h5_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The innermost entry of HDF5's error stack says what went wrong; the outer
   ones only say which API call it was. */
static herr_t innermost_error(unsigned n, const H5E_error2_t *e, void *detail) {
    if (n == 0 && e->desc) snprintf(detail, 256, "%s", e->desc);
    return 0;
}

void h5_fail(const char *src, int line, const char *path, const char *fmt, ...) {
    char what[512], detail[256] = "";
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, detail);
    disco_fatal_at(src, line, "'%s': cannot %s%s%s", path, what, *detail ? ": " : "", detail);
}

void h5_quiet_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

hid_t h5_create_temporary(const char *path, char *tmp, size_t tmp_size) {
    h5_quiet_errors();
    int written = snprintf(tmp, tmp_size, "%s.tmp", path);
    DISCO_CHECK(written > 0 && (size_t)written < tmp_size, "file name too long: '%s'", path);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(file, tmp, "create the file");
    return file;
}

/* H5Fclose leaves the data in the page cache: fsync makes it reach the disk
   before the rename publishes the file. */
static void sync_file(const char *path) {
    int fd = open(path, O_RDONLY);
    DISCO_CHECK(fd >= 0 && fsync(fd) == 0, "cannot flush '%s' to disk: %s", path, strerror(errno));
    close(fd);
}

/* Makes the rename itself durable. Best effort: some file systems refuse
   fsync on a directory, and the file's contents are safe already. */
static void sync_directory_of(const char *path) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    fsync(fd);
    close(fd);
}

void h5_publish(hid_t file, const char *tmp, const char *path) {
    H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL), tmp, "flush the file");
    H5_CHECK(H5Fclose(file), tmp, "close the file");
    sync_file(tmp);
    DISCO_CHECK(rename(tmp, path) == 0, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
    sync_directory_of(path);
}

hid_t h5_open_readonly(const char *path, const char *what) {
    h5_quiet_errors();
    DISCO_CHECK(access(path, R_OK) == 0, "'%s': cannot open the %s: %s", path, what, strerror(errno));
    DISCO_CHECK(H5Fis_hdf5(path) > 0, "'%s': not an HDF5 file, so not a %s", path, what);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    H5_CHECK(file, path, "open it as HDF5");
    return file;
}

/* " of /params/x" for an attribute of anything but the root group, so that
   an error names the object as well as the attribute. */
typedef char OwnerName[300];
static const char *owner_of(hid_t object, OwnerName owner) {
    char name[sizeof(OwnerName) - 4];
    if (H5Iget_name(object, name, sizeof name) <= 1) return "";
    snprintf(owner, sizeof(OwnerName), " of %s", name);
    return owner;
}

void h5_write_attribute(hid_t object, const char *path, const char *name, hid_t file_type, hid_t memory_type,
                        const void *value) {
    OwnerName owner;
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attribute = H5Acreate2(object, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(attribute, path, "create the attribute '%s'%s", name, owner_of(object, owner));
    H5_CHECK(H5Awrite(attribute, memory_type, value), path, "write the attribute '%s'%s", name,
             owner_of(object, owner));
    H5Aclose(attribute);
    H5Sclose(space);
}

void h5_write_string(hid_t object, const char *path, const char *name, const char *value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5_CHECK(H5Tset_size(type, strlen(value) + 1), path, "size the attribute '%s'", name);
    H5Tset_cset(type, H5T_CSET_UTF8);
    h5_write_attribute(object, path, name, type, type, value);
    H5Tclose(type);
}

static hid_t open_attribute(hid_t object, const char *path, const char *name) {
    OwnerName owner;
    hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
    H5_CHECK(attribute, path, "open the attribute '%s'%s", name, owner_of(object, owner));
    return attribute;
}

void h5_read_attribute(hid_t object, const char *path, const char *name, hid_t memory_type, void *value) {
    OwnerName owner;
    hid_t attribute = open_attribute(object, path, name);
    H5_CHECK(H5Aread(attribute, memory_type, value), path, "read the attribute '%s'%s", name, owner_of(object, owner));
    H5Aclose(attribute);
}

void h5_read_string(hid_t object, const char *path, const char *name, char *value, size_t size) {
    OwnerName owner;
    hid_t attribute = open_attribute(object, path, name);
    hid_t file_type = H5Aget_type(attribute);
    DISCO_CHECK(H5Tget_class(file_type) == H5T_STRING && H5Tis_variable_str(file_type) == 0,
                "'%s': attribute '%s'%s is not a fixed-length string", path, name, owner_of(object, owner));
    hid_t memory_type = H5Tcopy(file_type);
    H5Tset_size(memory_type, size);
    H5Tset_strpad(memory_type, H5T_STR_NULLTERM);
    H5_CHECK(H5Aread(attribute, memory_type, value), path, "read the attribute '%s'%s", name, owner_of(object, owner));
    value[size - 1] = '\0';
    H5Tclose(memory_type);
    H5Tclose(file_type);
    H5Aclose(attribute);
}

char *h5_read_new_string(hid_t object, const char *path, const char *name) {
    OwnerName owner;
    hid_t attribute = open_attribute(object, path, name);
    hid_t file_type = H5Aget_type(attribute);
    H5_CHECK(file_type, path, "read the type of the attribute '%s'%s", name, owner_of(object, owner));
    size_t size = H5Tget_size(file_type) + 1;
    H5Tclose(file_type);
    H5Aclose(attribute);
    char *value = disco_malloc(size, name);
    h5_read_string(object, path, name, value, size);
    return value;
}
