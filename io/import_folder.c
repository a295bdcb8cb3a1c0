/* Image folders: an ImageNet-style train folder of class subfolders of
   JPEGs, and a folder of PNGs with EDM's dataset.json labels. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disco/error.h"
#include "disco/image.h"
#include "disco/import.h"
#include "disco/picture.h"
#include "file_list.h"

typedef struct {
    char root[4096];
    FileList files;
    int32_t *labels;
    bool resize;
    Preprocess preprocess;
    int resolution, channels;
} FolderState;

/* By content, not by name: ImageNet has a PNG and CMYK JPEGs under .JPEG names. */
static Picture load_picture(const char *path) {
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t head[8] = {0};
    FILE *f = fopen(path, "rb");
    DISCO_CHECK(f, "cannot open the image '%s'", path);
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == sizeof head && memcmp(head, png_signature, sizeof head) == 0) {
        Picture p;
        png_read(path, &p.pixels, &p.width, &p.height, &p.channels);
        return p;
    }
    return jpeg_decode_file(path);
}

/* Grey PNGs join an RGB data set by repetition, as PIL's convert('RGB') does. */
static void copy_channels(uint8_t *dst, int dst_channels, const Picture *p, const char *path) {
    size_t pixels = (size_t)p->width * p->height;
    if (p->channels == dst_channels) {
        memcpy(dst, p->pixels, pixels * (size_t)dst_channels);
        return;
    }
    DISCO_CHECK(p->channels == 1 && dst_channels == 3,
                "'%s' has %d channels; this data set has %d (set by its first image)", path, p->channels,
                dst_channels);
    for (size_t i = 0; i < pixels; i++) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = p->pixels[i];
}

static void load_folder_image(void *state, int64_t index, uint8_t *image, int32_t *label) {
    const FolderState *f = state;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", f->root, f->files.paths[index]);
    Picture p = load_picture(path);
    if (f->resize) {
        Picture square = preprocess_square(&p, f->preprocess, f->resolution);
        picture_free(&p);
        p = square;
    } else {
        DISCO_CHECK(p.width == f->resolution && p.height == f->resolution,
                    "'%s' is %dx%d, but the data set's first image is %dx%d (give --resolution to resize)", path,
                    p.width, p.height, f->resolution, f->resolution);
    }
    copy_channels(image, f->channels, &p, path);
    picture_free(&p);
    *label = f->labels[index];
}

static void close_folder(void *state) {
    FolderState *f = state;
    file_list_free(&f->files);
    free(f->labels);
    free(f);
}

static FolderState *folder_state(const char *root, bool (*keep)(const char *name), const char *preprocess,
                                 int resolution) {
    FolderState *f = disco_calloc(1, sizeof *f, "folder import");
    snprintf(f->root, sizeof f->root, "%s", root);
    f->files = file_list_find(root, keep);
    DISCO_CHECK(f->files.count > 0, "import: no images found under '%s'", root);
    f->labels = disco_calloc((size_t)f->files.count, sizeof *f->labels, "folder labels");
    f->resolution = resolution;
    f->resize = resolution > 0;
    if (f->resize)
        DISCO_CHECK(preprocess_parse(preprocess, &f->preprocess),
                    "unknown preprocessing '%s' (center-crop or center-crop-dhariwal)", preprocess);
    return f;
}

static ImportSource folder_source(FolderState *f, int classes) {
    return (ImportSource){.count = f->files.count, .height = f->resolution, .width = f->resolution,
                          .channels = f->channels, .classes = classes, .state = f, .load = load_folder_image,
                          .close = close_folder, .threaded = true};
}

static void describe(ImportSource *s, const FolderState *f, const char *kind, const char *root) {
    snprintf(s->source, sizeof s->source, "%s %s", kind, root);
    if (f->resize)
        snprintf(s->preprocessing, sizeof s->preprocessing, "%s to %dx%d", preprocess_name(f->preprocess),
                 f->resolution, f->resolution);
    else
        snprintf(s->preprocessing, sizeof s->preprocessing, "kept at %dx%d", f->resolution, f->resolution);
}

/* ---- ImageNet ---- */

static bool is_jpeg_name(const char *name) {
    static const char *const extensions[] = {".jpeg", ".jpg"};
    return file_has_extension(name, extensions, 2);
}

/* The class of "wnid/file.JPEG" is the wnid's rank among the sorted class
   folders; sorted paths keep each class's files together. */
static int label_by_folder(FolderState *f, const char *root) {
    int classes = 0;
    const char *previous = NULL;
    size_t previous_length = 0;
    for (int i = 0; i < f->files.count; i++) {
        const char *path = f->files.paths[i], *slash = strchr(path, '/');
        DISCO_CHECK(slash && !strchr(slash + 1, '/'),
                    "import: '%s/%s' is not in a class folder directly under '%s'", root, path, root);
        size_t length = (size_t)(slash - path);
        if (!previous || length != previous_length || memcmp(path, previous, length) != 0) classes++;
        previous = path, previous_length = length;
        f->labels[i] = classes - 1;
    }
    return classes;
}

ImportSource import_source_imagenet(const char *train_dir, const char *preprocess, int resolution) {
    DISCO_CHECK(resolution > 0, "import: ImageNet needs --resolution (e.g. 64)");
    FolderState *f = folder_state(train_dir, is_jpeg_name, preprocess, resolution);
    f->channels = 3;
    int classes = label_by_folder(f, train_dir);
    ImportSource s = folder_source(f, classes);
    describe(&s, f, "ImageNet-style class folders under", train_dir);
    return s;
}

/* ---- PNG folder ---- */

static bool is_png_name(const char *name) {
    static const char *const extensions[] = {".png"};
    return file_has_extension(name, extensions, 1);
}

static char *read_text(const char *path) {
    FILE *file = fopen(path, "rb");
    DISCO_CHECK(file, "cannot open the labels file '%s'", path);
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    rewind(file);
    char *text = disco_malloc((size_t)size + 1, path);
    DISCO_CHECK(size >= 0 && fread(text, 1, (size_t)size, file) == (size_t)size, "cannot read '%s'", path);
    text[size] = '\0';
    fclose(file);
    return text;
}

static int by_path(const void *key, const void *element) { return strcmp(key, *(char *const *)element); }

/* EDM's dataset.json: {"labels": [["00000/img00000000.png", 6], ...]} or
   "labels": null. Every image needs a label, and every label an image. */
static int read_labels_json(FolderState *f, const char *json_path) {
    char *text = read_text(json_path);
    cJSON *root = cJSON_Parse(text);
    free(text);
    DISCO_CHECK(root, "'%s' is not valid JSON (near '%.20s')", json_path, cJSON_GetErrorPtr());
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(root, "labels");
    DISCO_CHECK(labels, "'%s' has no field 'labels'", json_path);
    int classes = 1;
    if (!cJSON_IsNull(labels)) {
        DISCO_CHECK(cJSON_IsArray(labels), "'%s': 'labels' must be a list or null", json_path);
        int n = cJSON_GetArraySize(labels);
        DISCO_CHECK(n == f->files.count, "'%s' labels %d images, but the folder holds %d PNGs", json_path, n,
                    f->files.count);
        int entry = 0;
        for (const cJSON *pair = labels->child; pair; pair = pair->next, entry++) {
            const cJSON *name = cJSON_GetArrayItem(pair, 0), *label = cJSON_GetArrayItem(pair, 1);
            DISCO_CHECK(cJSON_GetArraySize(pair) == 2 && cJSON_IsString(name) && cJSON_IsNumber(label) &&
                            label->valuedouble >= 0 && label->valuedouble == (double)label->valueint,
                        "'%s': labels[%d] is not [\"path\", non-negative integer]", json_path, entry);
            char **hit = bsearch(name->valuestring, f->files.paths, (size_t)f->files.count, sizeof *f->files.paths,
                                 by_path);
            DISCO_CHECK(hit, "'%s': labels[%d] names '%s', which is not a PNG in the folder", json_path, entry,
                        name->valuestring);
            f->labels[hit - f->files.paths] = label->valueint;
            if (label->valueint + 1 > classes) classes = label->valueint + 1;
        }
    }
    cJSON_Delete(root);
    return classes;
}

ImportSource import_source_png_folder(const char *dir, const char *labels_json, const char *preprocess,
                                      int resolution) {
    FolderState *f = folder_state(dir, is_png_name, preprocess, resolution);
    char first[8192], default_json[4096];
    snprintf(first, sizeof first, "%s/%s", dir, f->files.paths[0]);
    Picture p = load_picture(first);
    f->channels = p.channels;
    if (!f->resize) {
        DISCO_CHECK(p.width == p.height, "'%s' is %dx%d; give --resolution to make the images square", first,
                    p.width, p.height);
        f->resolution = p.width;
    }
    picture_free(&p);
    snprintf(default_json, sizeof default_json, "%s/dataset.json", dir);
    if (!labels_json && access(default_json, F_OK) == 0) labels_json = default_json;
    int classes = labels_json ? read_labels_json(f, labels_json) : 1;
    ImportSource s = folder_source(f, classes);
    describe(&s, f, "PNG folder", dir);
    return s;
}
