/* disco prior on an image config; see image_run.h. Stage 2: the
   class-conditional AR prior learns p(z | class) by maximum likelihood on
   the latents disco encode wrote (DisCo-Diff eq. 4, SPEC 1.3). One model on
   a few million tokens: rank 0 trains it alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "disco/arrays.h"
#include "disco/checkpoint.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "image_run.h"
#include "run_config.h"

/* Every latent and label of latents.h5 checked against the prior's shape
   here, where the file and the row can be named. */
static void check_latents(const char *path, const int32_t *z, const int32_t *labels, int n, const PriorConfig *c) {
    for (int i = 0; i < n; i++) {
        DISCO_CHECK(labels[i] >= 0 && labels[i] < c->classes, "'%s': labels[%d] is %d; the prior has %d classes", path,
                    i, labels[i], c->classes);
        for (int j = 0; j < c->m; j++)
            DISCO_CHECK(z[(size_t)i * c->m + j] >= 0 && z[(size_t)i * c->m + j] < c->k,
                        "'%s': latents[%d, %d] is %d, outside [0, %d)", path, i, j, z[(size_t)i * c->m + j], c->k);
    }
}

static void train_prior(const ImageRunSpec *spec, const char *dir) {
    const PriorConfig *c = &spec->prior;
    const ImagePriorSpec *t = &spec->prior_training;
    char path[1024];
    run_path(path, sizeof path, dir, "latents.h5");
    int shape[2], label_count;
    int32_t *z = arrays_load(path, "latents", DTYPE_I32, 2, shape);
    int32_t *labels = arrays_load(path, "labels", DTYPE_I32, 1, &label_count);
    DISCO_CHECK(shape[1] == c->m && label_count == shape[0],
                "'%s' holds latents [%d, %d] and %d labels; the model has %d latents per image", path, shape[0],
                shape[1], label_count, c->m);
    check_latents(path, z, labels, shape[0], c);

    Prior prior = prior_create(backend_cpu(), c, t->batch, t->seed);
    PriorTrainConfig tc = {.steps = t->steps, .lr = (float)t->lr, .rampup_steps = t->steps / 20, .seed = t->seed};
    double nats = prior_train(&prior, z, labels, shape[0], &tc);
    run_path(path, sizeof path, dir, "checkpoints/prior.h5");
    checkpoint_save(path, prior.g, NULL,
                    &(CheckpointInfo){.step = (uint64_t)t->steps, .images_seen = (uint64_t)t->steps * t->batch});
    printf("prior: %d steps of %d sequences on %d images' latents: loss %.4f nats = %.4f bits per latent "
           "(uniform: %.3f bits); wrote %s\n",
           t->steps, t->batch, shape[0], nats, nats / log(2.0), log2(c->k), path);
    prior_destroy(&prior);
    free(z), free(labels);
}

void image_stage_prior(const ImageRunSpec *spec, const char *dir, Comm *comm) {
    (void)comm; /* rank 0 trains alone; the others only wait */
    if (spec->model.unet.latent_dim == 0) {
        if (dist_rank() == 0) printf("prior: the baseline has no latents; nothing to do\n");
        return;
    }
    if (dist_rank() == 0) train_prior(spec, dir);
    /* Outside the branch: every rank leaves once prior.h5 exists, which the
       sampling that follows in a pipeline reads on all of them. */
    dist_barrier();
}
