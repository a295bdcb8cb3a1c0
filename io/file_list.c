#include "file_list.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "disco/error.h"

typedef struct {
    FileList list;
    int capacity;
    bool (*keep)(const char *name);
} Search;

static void add(Search *s, const char *relative) {
    if (s->list.count == s->capacity) {
        s->capacity = s->capacity ? 2 * s->capacity : 1024;
        s->list.paths = realloc(s->list.paths, (size_t)s->capacity * sizeof *s->list.paths);
        DISCO_CHECK(s->list.paths, "out of memory listing %d files", s->capacity);
    }
    s->list.paths[s->list.count++] = disco_strdup(relative);
}

static void walk(Search *s, const char *root, const char *relative) {
    char folder[4096];
    snprintf(folder, sizeof folder, "%s%s%s", root, *relative ? "/" : "", relative);
    DIR *d = opendir(folder);
    DISCO_CHECK(d, "cannot list the folder '%s': %s", folder, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* ".", "..", and hidden files such as .DS_Store */
        char child[4096], full[8192];
        snprintf(child, sizeof child, "%s%s%s", relative, *relative ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, child);
        struct stat st;
        DISCO_CHECK(stat(full, &st) == 0, "cannot stat '%s': %s", full, strerror(errno));
        if (S_ISDIR(st.st_mode))
            walk(s, root, child);
        else if (S_ISREG(st.st_mode) && s->keep(e->d_name))
            add(s, child);
    }
    closedir(d);
}

static int by_bytes(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

FileList file_list_find(const char *root, bool (*keep)(const char *name)) {
    Search s = {.keep = keep};
    walk(&s, root, "");
    if (s.list.count > 1) /* qsort's array may not be NULL, even when empty */
        qsort(s.list.paths, (size_t)s.list.count, sizeof *s.list.paths, by_bytes);
    return s.list;
}

void file_list_free(FileList *list) {
    for (int i = 0; i < list->count; i++) free(list->paths[i]);
    free(list->paths);
    *list = (FileList){0};
}

bool file_has_extension(const char *name, const char *const *extensions, int count) {
    size_t n = strlen(name);
    for (int i = 0; i < count; i++) {
        size_t e = strlen(extensions[i]);
        if (n > e && strcasecmp(name + n - e, extensions[i]) == 0) return true;
    }
    return false;
}
