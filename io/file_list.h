/* The files under a folder, found recursively and sorted, so that an import
   numbers images (and classes) the same way on every rank and every run. */
#ifndef DISCO_FILE_LIST_H
#define DISCO_FILE_LIST_H

#include <stdbool.h>

typedef struct {
    int count;
    char **paths; /* relative to the root, sorted by byte order (Python's sorted()) */
} FileList;

/* Regular files (symbolic links followed) whose name `keep` accepts. */
FileList file_list_find(const char *root, bool (*keep)(const char *name));
void file_list_free(FileList *list);

/* True when name ends in one of the given extensions, ignoring case. */
bool file_has_extension(const char *name, const char *const *extensions, int count);

#endif
