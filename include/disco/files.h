/* Small file-system helpers every layer needs. */
#ifndef DISCO_FILES_H
#define DISCO_FILES_H

#ifdef __cplusplus
extern "C" {
#endif

/* mkdir -p: every missing directory along the path; fatal, naming it, on failure. */
void make_directories(const char *path);
/* A whole text file, NUL-terminated and malloc'd; fatal, naming it, when it cannot be read. */
char *read_text_file(const char *path);

#ifdef __cplusplus
}
#endif

#endif
