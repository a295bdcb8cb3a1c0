/* EDM's loss at fixed noise levels; see include/disco/image_train.h. */
#include "disco/image_train.h"

#include <math.h>
#include <stdlib.h>

#include "disco/dist.h"
#include "disco/error.h"
#include "disco/reader.h"
#include "disco/rng.h"

/* Training draws few large noise levels (ln sigma ~ N(-1.2, 1.2^2) puts 1%
   of them above sigma 5), which is where DisCo-Diff's latents matter most
   (its Fig. 7a); a fixed grid measures every level with the same images. */
void image_loss_by_sigma(Graph *g, const ImageNetwork *net, const ImageModelConfig *mc, const char *data_path,
                         int images, const double *sigmas, int count, uint64_t seed, double *loss) {
    int world = dist_world(), rank = dist_rank(), local = net->batch;
    int global = local * world, batches = images / global;
    DISCO_CHECK(batches > 0, "loss by sigma: %d images are fewer than one batch of %d", images, global);
    ReaderConfig rc = {.global_batch = global, .world = world, .rank = rank, .seed = seed, .prefetch_batches = 1,
                       .workers = 1};
    const AdmUnetConfig *u = &mc->unet;
    size_t image = (size_t)u->resolution * u->resolution * u->in_channels;
    float *unit_noise = disco_malloc((size_t)local * image * sizeof(float), "noise images");
    float *keep = disco_malloc((size_t)local * sizeof(float), "latent keep mask");
    double *sigma = disco_malloc((size_t)local * sizeof(double), "noise levels");
    for (int r = 0; r < local; r++) keep[r] = 1.0f;
    for (int s = 0; s < count; s++) loss[s] = 0;
    graph_set_training(g, false);
    BatchReader *reader = reader_open(data_path, &rc, 0);
    for (int b = 0; b < batches; b++) {
        const ReaderBatch *batch = reader_next(reader);
        uint64_t first = batch->cursor + (uint64_t)rank;
        for (int r = 0; r < local; r++) {
            RngKey noise = {.seed = seed, .stream = RNG_STREAM_NOISE, .index = (uint32_t)(first + (uint64_t)r * world)};
            rng_fill_normal(&noise, unit_noise + (size_t)r * image, image);
        }
        for (int s = 0; s < count; s++) {
            for (int r = 0; r < local; r++) sigma[r] = sigmas[s];
            image_feed(g, net, mc, batch->images, sigma, unit_noise, batch->labels, keep);
            graph_set_samples(g, (uint32_t)s, (uint32_t)first, (uint32_t)world);
            graph_forward(g);
            const float *l = graph_data(g, net->loss);
            for (int r = 0; r < local; r++) loss[s] += l[r];
        }
    }
    reader_close(reader);
    graph_set_training(g, true);
    for (int s = 0; s < count; s++)
        loss[s] = (world > 1 ? dist_sum_double(loss[s]) : loss[s]) / ((double)batches * global * image);
    free(unit_noise), free(keep), free(sigma);
}
