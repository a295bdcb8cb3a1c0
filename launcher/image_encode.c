/* disco encode and disco prior on an image config; see image_run.h. */
#include "disco/error.h"
#include "image_run.h"

void image_stage_encode(const ImageRunSpec *spec, const char *dir, Comm *comm) {
    (void)spec, (void)dir, (void)comm;
    DISCO_FATAL("disco encode: not yet for image configs");
}

void image_stage_prior(const ImageRunSpec *spec, const char *dir, Comm *comm) {
    (void)spec, (void)dir, (void)comm;
    DISCO_FATAL("disco prior: not yet for image configs");
}
