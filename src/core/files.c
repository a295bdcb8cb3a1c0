#include "disco/files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "disco/error.h"

void make_directories(const char *path) {
    char partial[1024];
    size_t n = strlen(path);
    DISCO_CHECK(n < sizeof partial, "path too long: '%s'", path);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        memcpy(partial, path, i);
        partial[i] = '\0';
        DISCO_CHECK(mkdir(partial, 0755) == 0 || errno == EEXIST, "cannot create '%s': %s", partial,
                    strerror(errno));
    }
}

char *read_text_file(const char *path) {
    FILE *f = fopen(path, "rb");
    DISCO_CHECK(f, "cannot read '%s': %s", path, strerror(errno));
    DISCO_CHECK(fseek(f, 0, SEEK_END) == 0, "cannot read '%s'", path);
    long size = ftell(f);
    rewind(f);
    char *text = disco_malloc((size_t)size + 1, path);
    DISCO_CHECK(fread(text, 1, (size_t)size, f) == (size_t)size, "cannot read '%s'", path);
    text[size] = '\0';
    fclose(f);
    return text;
}
