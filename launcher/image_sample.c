/* disco sample on an image config; see image_run.h. */
#include "disco/error.h"
#include "image_run.h"

void image_stage_sample(const ImageRunSpec *spec, const char *dir, Comm *comm) {
    (void)spec, (void)dir, (void)comm;
    DISCO_FATAL("disco sample: not yet for image configs");
}
