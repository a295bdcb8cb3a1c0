/* A run's checkpoint directory: checkpoint-<step>.h5 files, the newest sound
   one resumed from, the oldest beyond the newest N removed. Steps are read
   from the names, so any number of digits is understood and other files are
   left alone. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disco/checkpoint.h"
#include "disco/error.h"
#include "disco/log.h"

typedef struct {
    uint64_t step;
    bool temporary; /* checkpoint-<step>.h5.tmp: a save that has not finished */
    char name[256];
} Entry;

static bool parse_name(const char *name, Entry *entry) {
    static const char prefix[] = "checkpoint-";
    const char *digits = name + strlen(prefix);
    if (strncmp(name, prefix, strlen(prefix)) != 0 || !isdigit((unsigned char)*digits)) return false;
    char *end;
    errno = 0;
    entry->step = strtoull(digits, &end, 10);
    entry->temporary = strcmp(end, ".h5.tmp") == 0;
    if (errno == ERANGE || (!entry->temporary && strcmp(end, ".h5") != 0)) return false;
    snprintf(entry->name, sizeof entry->name, "%s", name);
    return true;
}

/* Newest step first; at one step, the complete file before a temporary. */
static int newest_first(const void *a, const void *b) {
    const Entry *x = a, *y = b;
    if (x->step != y->step) return x->step < y->step ? 1 : -1;
    return (int)x->temporary - (int)y->temporary;
}

/* The checkpoints and temporaries in dir, newest first (NULL and *count 0
   when dir does not exist); the caller frees them. */
static Entry *list_checkpoints(const char *dir, int *count) {
    *count = 0;
    DIR *listing = opendir(dir);
    if (!listing && errno == ENOENT) return NULL;
    DISCO_CHECK(listing, "cannot list the checkpoint directory '%s': %s", dir, strerror(errno));
    Entry *entries = NULL;
    int capacity = 0;
    for (struct dirent *item; (item = readdir(listing));) {
        Entry entry;
        if (!parse_name(item->d_name, &entry)) continue;
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 16;
            entries = realloc(entries, (size_t)capacity * sizeof *entries);
            DISCO_CHECK(entries, "out of memory listing the checkpoint directory '%s'", dir);
        }
        entries[(*count)++] = entry;
    }
    closedir(listing);
    if (entries) qsort(entries, (size_t)*count, sizeof *entries, newest_first);
    return entries;
}

static void path_in(const char *dir, const char *name, char *path, size_t size) {
    int written = snprintf(path, size, "%s/%s", dir, name);
    DISCO_CHECK(written > 0 && (size_t)written < size, "checkpoint path too long: '%s/%s'", dir, name);
}

void checkpoint_path_for_step(const char *dir, uint64_t step, char *path, size_t size) {
    char name[64];
    snprintf(name, sizeof name, "checkpoint-%012llu.h5", (unsigned long long)step);
    path_in(dir, name, path, size);
}

/* After saving step `saved`: of the checkpoints up to that step the newest
   `keep` stay. Any with a greater step were left by a run that resumed from
   an earlier one; they are not this save's to judge. A temporary older
   than the newest complete checkpoint is what a crash left mid-save. */
static void remove_stale(const char *dir, int keep, uint64_t saved) {
    int count, kept = 0;
    Entry *entries = list_checkpoints(dir, &count);
    uint64_t newest_complete = saved;
    for (int i = 0; i < count; i++)
        if (!entries[i].temporary && entries[i].step > newest_complete) newest_complete = entries[i].step;
    for (int i = 0; i < count; i++) {
        const Entry *e = &entries[i];
        if (!e->temporary && e->step <= saved) kept++;
        bool stale = e->temporary ? e->step < newest_complete : e->step <= saved && keep > 0 && kept > keep;
        if (!stale) continue;
        char path[4096];
        path_in(dir, e->name, path, sizeof path);
        /* A checkpoint that stays only costs disk space: no reason to stop
           the run. */
        if (remove(path) != 0) LOG_WARN("cannot remove the old checkpoint '%s': %s", path, strerror(errno));
    }
    free(entries);
}

void checkpoint_save_in(const char *dir, int keep, Graph *g, const TrainBuffers *buffers,
                        const TrainProgress *progress) {
    DISCO_CHECK(keep >= 0, "checkpoints to keep: %d; 0 (all) or more", keep);
    DISCO_CHECK(mkdir(dir, 0777) == 0 || errno == EEXIST, "cannot create the checkpoint directory '%s': %s", dir,
                strerror(errno));
    char path[4096];
    checkpoint_path_for_step(dir, progress->step, path, sizeof path);
    checkpoint_save_training(path, g, buffers, progress);
    remove_stale(dir, keep, progress->step);
}

bool checkpoint_find_latest(const char *dir, char *path, size_t size) {
    int count;
    Entry *entries = list_checkpoints(dir, &count);
    bool found = false;
    for (int i = 0; i < count && !found; i++) {
        if (entries[i].temporary) continue;
        char candidate[4096], why[512];
        path_in(dir, entries[i].name, candidate, sizeof candidate);
        found = checkpoint_is_sound(candidate, why, sizeof why);
        if (found)
            path_in(dir, entries[i].name, path, size);
        else
            LOG_WARN("passing over the checkpoint '%s': %s", candidate, why);
    }
    free(entries);
    return found;
}
