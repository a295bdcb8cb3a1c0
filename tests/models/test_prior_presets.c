/* The prior's presets: the paper-size priors' parameter counts (built, not
   compiled), the small one's uniform start, and the latent shapes every
   preset of the encoder, the latent transformer and the prior agree on. */
#include <math.h>
#include <stdio.h>

#include "disco/image_model.h"
#include "disco/latent_transformer.h"
#include "disco/prior.h"
#include "disco/vit_encoder.h"
#include "model_params.h"
#include "testutil.h"

/* Counted from the architecture, independently of the builder. */
static size_t expected_parameters(const PriorConfig *c) {
    size_t w = (size_t)c->width, r = (size_t)c->mlp_ratio, k = (size_t)c->k;
    size_t tables = (k + (size_t)c->classes) * w + (size_t)c->m * w; /* tokens, positions */
    /* ln_1 2w, qkv 3w^2 + 3w, proj w^2 + w, ln_2 2w, fc1 r w^2 + r w, fc2 r w^2 + w */
    size_t block = (4 + 2 * r) * w * w + (9 + r) * w;
    return tables + (size_t)c->depth * block + 2 * w + w * k + k;
}

static size_t built_parameters(const PriorConfig *c, const char *what) {
    Prior p = prior_build(backend_cpu(), c, 1, 1);
    size_t n = count_param_floats(p.g);
    prior_destroy(&p);
    size_t want = expected_parameters(c);
    printf("prior %s: %zu parameters (%.2f M)\n", what, n, n / 1e6);
    ck_assert_msg(n == want, "%s: %zu parameters, the architecture has %zu", what, n, want);
    return n;
}

START_TEST(paper_size_parameter_counts) {
    PriorConfig c = prior_imagenet();
    ck_assert_int_eq(c.depth, 12);
    ck_assert_int_eq(c.heads, 8);
    ck_assert_int_eq(c.width, 512);
    /* 1100 x 512 tokens, 10 x 512 positions, 12 blocks of 12 * 512^2 + 13 * 512, ln_f, head: SPEC's 38-50 M. */
    ck_assert_uint_eq(expected_parameters(&c),
                      1100 * 512 + 10 * 512 + 12 * (12 * 512 * 512 + 13 * 512) + 2 * 512 + 512 * 100 + 100);
    ck_assert_uint_eq(built_parameters(&c, "imagenet"), 38449252);
    c = prior_imagenet64_hierarchical();
    ck_assert_uint_eq(built_parameters(&c, "imagenet64 hierarchical"), 38459492);
    c = prior_fmnist();
    built_parameters(&c, "fmnist");
}
END_TEST

START_TEST(fmnist_prior_compiles_and_starts_uniform) {
    const PriorConfig c = prior_fmnist();
    enum { BATCH = 2 };
    int32_t latents[BATCH * 10], labels[BATCH] = {3, 9};
    ck_assert_int_eq(c.m, 10);
    for (int i = 0; i < BATCH * c.m; i++) latents[i] = (7 * i) % c.k;
    Prior p = prior_create(backend_cpu(), &c, BATCH, 2);
    prior_feed(&p, latents, labels, BATCH);
    graph_forward(p.g);
    const float *loss = graph_data(p.g, p.loss);
    for (int i = 0; i < BATCH * c.m; i++) ck_assert_float_eq_tol(loss[i], logf((float)c.k), 1e-5f);
    prior_destroy(&p);
}
END_TEST

/* What the encoder emits, the latent transformer reads and the prior models. */
static void check_agree(const VitEncoderConfig *e, const LatentTransformerConfig *lt, const PriorConfig *p,
                        const char *what) {
    ck_assert_msg(e->m == lt->m && e->m == p->m, "%s: m is %d, %d and %d", what, e->m, lt->m, p->m);
    ck_assert_msg(e->k == lt->k && e->k == p->k, "%s: k is %d, %d and %d", what, e->k, lt->k, p->k);
}

START_TEST(presets_agree_on_the_latents) {
    VitEncoderConfig e64 = vit_encoder_imagenet64(), e128 = vit_encoder_imagenet128();
    VitEncoderConfig hierarchical = vit_encoder_imagenet64_hierarchical(), fmnist = vit_encoder_fmnist();
    LatentTransformerConfig lt = latent_transformer_imagenet(), lt_h = latent_transformer_imagenet64_hierarchical();
    LatentTransformerConfig lt_f = latent_transformer_fmnist();
    PriorConfig p = prior_imagenet(), p_h = prior_imagenet64_hierarchical(), p_f = prior_fmnist();
    check_agree(&e64, &lt, &p, "imagenet64");
    check_agree(&e128, &lt, &p, "imagenet128");
    check_agree(&hierarchical, &lt_h, &p_h, "imagenet64 hierarchical");
    check_agree(&fmnist, &lt_f, &p_f, "fmnist");
    VitEncoderConfig e_tiny = vit_encoder_tiny();
    LatentTransformerConfig lt_tiny = latent_transformer_tiny();
    PriorConfig p_tiny = prior_tiny();
    check_agree(&e_tiny, &lt_tiny, &p_tiny, "tiny");
    ck_assert_int_eq(p_tiny.classes, adm_unet_tiny().label_dim);
    const char *names[] = {"tiny", "fmnist", "imagenet64", "imagenet64-hierarchical", "imagenet128"};
    for (int i = 0; i < 5; i++) {
        ImageModelConfig model = image_model_preset(names[i], i == 1 ? 1 : 3, true);
        PriorConfig prior = prior_preset(names[i]);
        check_agree(&model.encoder, &model.latent, &prior, names[i]);
        ck_assert_int_eq(prior.classes, model.unet.label_dim);
    }
    ck_assert_int_eq(lt_h.groups, 3);
    ck_assert_int_eq(lt_h.m / lt_h.groups, 10);
    ck_assert_int_eq(p.classes, 1000);
    ck_assert_int_eq(p_f.classes, 10);
}
END_TEST

int main(void) {
    Suite *s = suite_create("prior_presets");
    TCase *tc = tcase_create("prior_presets");
    tcase_add_test(tc, paper_size_parameter_counts);
    tcase_add_test(tc, fmnist_prior_compiles_and_starts_uniform);
    tcase_add_test(tc, presets_agree_on_the_latents);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
