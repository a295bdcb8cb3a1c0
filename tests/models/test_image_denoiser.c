/* The sampling denoiser against the training graph at the tiny sizes: with
   the training graph's parameters (copied by name, every one found) and the
   encoder's one-hot latents fed in, it computes the same F, and
   image_denoise the same D = c_skip x + c_out F, with the latents, with the
   null latents, and for the baseline. Parameters are perturbed first: the
   zero-initialised cross-attention would otherwise hide the latents, and a
   denoiser that ignored them would pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/edm.h"
#include "disco/image_model.h"
#include "model_params.h"
#include "testutil.h"

enum { BATCH = 3 };
static const double SIGMA = 1.7;

typedef struct {
    ImageModelConfig c;
    Graph *train, *sample;
    ImageNetwork tn;
    ImageDenoiser dn;
    size_t image; /* floats per batch of images */
    float *clean, *unit_noise, *noisy;
    int32_t labels[BATCH];
} Pair;

static Pair pair_create(bool latents) {
    Pair p = {.c = image_model_tiny(latents), .labels = {2, 0, 1}};
    const AdmUnetConfig *u = &p.c.unet;
    p.image = (size_t)BATCH * u->resolution * u->resolution * u->in_channels;
    p.train = graph_create(backend_cpu(), 11);
    p.tn = image_build_training(p.train, &p.c, BATCH);
    graph_compile(p.train);
    graph_set_training(p.train, false); /* no dropout: the denoiser has none at sampling */
    perturb_params(p.train, 12, 0.3f);

    p.sample = graph_create(backend_cpu(), 13); /* another seed: its own initialisation must not matter */
    p.dn = image_build_denoiser(p.sample, &p.c, BATCH);
    graph_compile(p.sample);
    graph_set_training(p.sample, false);
    ck_assert_int_eq(graph_copy_params(p.sample, p.train), graph_param_count(p.sample));

    p.clean = alloc_normal(p.image, 14, 0.5f);
    p.unit_noise = alloc_normal(p.image, 15, 1.0f);
    p.noisy = malloc(p.image * sizeof(float));
    for (size_t i = 0; i < p.image; i++) p.noisy[i] = p.clean[i] + (float)SIGMA * p.unit_noise[i];
    return p;
}

static void pair_free(Pair *p) {
    graph_destroy(p->train), graph_destroy(p->sample);
    free(p->clean), free(p->unit_noise), free(p->noisy);
}

/* The training graph's forward with every sample kept (1) or dropped (0);
   returns its F, copied. */
static float *train_forward(Pair *p, float keep) {
    double sigmas[BATCH];
    float keeps[BATCH];
    for (int r = 0; r < BATCH; r++) sigmas[r] = SIGMA, keeps[r] = keep;
    image_feed(p->train, &p->tn, &p->c, p->clean, sigmas, p->unit_noise, p->labels, keeps);
    graph_set_step(p->train, 0, 0);
    graph_forward(p->train);
    float *f = malloc(p->image * sizeof(float));
    memcpy(f, graph_data(p->train, p->tn.output), p->image * sizeof(float));
    return f;
}

/* The encoder's hard Gumbel-softmax output is an exact one-hot: its values. */
static void latents_of(const Pair *p, int32_t *z) {
    const float *one_hot = graph_data(p->train, p->tn.encoder.one_hot);
    int k = p->c.latent.k;
    for (int i = 0; i < BATCH * p->c.latent.m; i++) {
        z[i] = -1;
        for (int v = 0; v < k; v++) {
            float e = one_hot[(size_t)i * k + v];
            ck_assert(e == 0.0f || e == 1.0f);
            if (e == 1.0f) {
                ck_assert_int_eq(z[i], -1);
                z[i] = v;
            }
        }
        ck_assert_int_ge(z[i], 0);
    }
}

/* D from the training graph's F, as the sampler sees it. */
static float *denoised_from(const Pair *p, const float *f) {
    EdmPrecond pre = edm_precond(SIGMA, p->c.sigma_data);
    float *d = malloc(p->image * sizeof(float));
    for (size_t i = 0; i < p->image; i++) d[i] = (float)(pre.c_skip * p->noisy[i] + pre.c_out * f[i]);
    return d;
}

static float *sample_denoise(Pair *p, const int32_t *latents) {
    float *d = malloc(p->image * sizeof(float));
    image_denoise(p->sample, &p->dn, &p->c, p->noisy, SIGMA, p->labels, latents, BATCH, d);
    return d;
}

START_TEST(same_f_from_the_one_hot_input) {
    Pair p = pair_create(true);
    float *f = train_forward(&p, 1);
    /* The training graph's own inputs, copied as they are. */
    const int ids[4][2] = {{p.tn.x_in, p.dn.x_in},
                           {p.tn.c_noise, p.dn.c_noise},
                           {p.tn.labels, p.dn.labels},
                           {p.tn.encoder.one_hot, p.dn.latents}};
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(graph_numel(p.train, ids[i][0]), graph_numel(p.sample, ids[i][1]));
        memcpy(graph_data(p.sample, ids[i][1]), graph_data(p.train, ids[i][0]),
               graph_numel(p.train, ids[i][0]) * sizeof(float));
    }
    latent_transformer_feed_keep(p.sample, &p.dn.latent, (float[]){1, 1, 1});
    graph_forward(p.sample);
    ck_assert_double_le(max_abs_difference(graph_data(p.sample, p.dn.output), f, p.image), 1e-6);
    free(f);
    pair_free(&p);
}
END_TEST

START_TEST(same_d_with_latents_and_null_latents) {
    Pair p = pair_create(true);
    float *f = train_forward(&p, 1);
    int32_t z[BATCH * 16];
    ck_assert_int_le(p.c.latent.m, 16);
    latents_of(&p, z);
    float *want = denoised_from(&p, f), *got = sample_denoise(&p, z);
    ck_assert_double_le(relative_error(got, want, p.image), 1e-6);

    /* Other latents give another D: the latents are read. */
    int32_t other[BATCH * 16];
    for (int i = 0; i < BATCH * p.c.latent.m; i++) other[i] = (z[i] + 1) % p.c.latent.k;
    float *changed = sample_denoise(&p, other);
    ck_assert_double_gt(relative_error(changed, want, p.image), 1e-3);

    /* The null latents: the training graph with every sample dropped. */
    float *f_null = train_forward(&p, 0);
    float *want_null = denoised_from(&p, f_null), *got_null = sample_denoise(&p, NULL);
    ck_assert_double_le(relative_error(got_null, want_null, p.image), 1e-6);
    ck_assert_double_gt(relative_error(got_null, want, p.image), 1e-3);
    free(f), free(want), free(got), free(changed), free(f_null), free(want_null), free(got_null);
    pair_free(&p);
}
END_TEST

START_TEST(same_d_for_the_baseline) {
    Pair p = pair_create(false);
    ck_assert_int_eq(p.dn.latents, -1);
    float *f = train_forward(&p, 1);
    float *want = denoised_from(&p, f), *got = sample_denoise(&p, NULL);
    ck_assert_double_le(relative_error(got, want, p.image), 1e-6);
    free(f), free(want), free(got);
    pair_free(&p);
}
END_TEST

/* Labels are read too: another class, another D. */
START_TEST(labels_are_read) {
    Pair p = pair_create(false);
    float *before = sample_denoise(&p, NULL);
    for (int r = 0; r < BATCH; r++) p.labels[r] = (p.labels[r] + 1) % p.c.unet.label_dim;
    float *after = sample_denoise(&p, NULL);
    ck_assert_double_gt(relative_error(after, before, p.image), 1e-3);
    free(before), free(after);
    pair_free(&p);
}
END_TEST

int main(void) {
    Suite *s = suite_create("image_denoiser");
    TCase *t = tcase_create("core");
    tcase_add_test(t, same_f_from_the_one_hot_input);
    tcase_add_test(t, same_d_with_latents_and_null_latents);
    tcase_add_test(t, same_d_for_the_baseline);
    tcase_add_test(t, labels_are_read);
    suite_add_tcase(s, t);
    return run_suite(s);
}
