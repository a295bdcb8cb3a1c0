/* The sample.* fields of an image config (image_config.h). */
#include <string.h>

#include "disco/error.h"
#include "image_config.h"

ImageSampleSpec image_sample_spec(const Config *c, const ImageModelConfig *model) {
    ImageSampleSpec s = {.seeds = config_string(c, "sample.seeds"), .label = (int)config_int(c, "sample.class"),
                         .guidance = config_float(c, "sample.guidance"),
                         .temperature = (float)config_float(c, "sample.temperature"),
                         .oracle_path = config_string(c, "sample.oracle_data"),
                         .batch = (int)config_int(c, "sample.batch"), .grid = (int)config_int(c, "sample.grid"),
                         .out_dir = config_string(c, "sample.out")};
    if (!*s.oracle_path) s.oracle_path = config_string(c, "data.path");
    const char *latents = config_string(c, "sample.latents");
    DISCO_CHECK(!strcmp(latents, "prior") || !strcmp(latents, "oracle"),
                "sample.latents: '%s' is neither prior nor oracle", latents);
    s.oracle = !strcmp(latents, "oracle");
    int classes = model->unet.label_dim;
    DISCO_CHECK(s.label >= -1 && s.label < (classes > 0 ? classes : 1),
                "sample.class: %d is outside [-1, %d) (the model's classes)", s.label, classes > 0 ? classes : 1);
    DISCO_CHECK(!s.oracle || s.label == -1, "sample.class: %d, but oracle latents come with their image's label",
                s.label);
    DISCO_CHECK(s.temperature > 0, "sample.temperature: %g must be positive", s.temperature);
    DISCO_CHECK(s.batch >= 1 && s.grid >= 0, "sample.batch (%d) must be >= 1 and sample.grid (%d) >= 0", s.batch,
                s.grid);

    const char *name = config_string(c, "sample.sampler");
    SamplerMethod method;
    DISCO_CHECK(sampler_method_parse(name, &method), "sample.sampler: '%s' is not heun, euler, stochastic or restart",
                name);
    /* Restart brings its own intervals and noise settings (SPEC 1.6); the
       sample.s_* fields are EDM's stochastic sampler's. */
    s.sampler = method == SAMPLER_RESTART ? sampler_restart_imagenet64() : sampler_default();
    s.sampler.method = method;
    s.sampler.steps = (int)config_int(c, "sample.steps");
    s.sampler.sigma_min = config_float(c, "sample.sigma_min");
    s.sampler.sigma_max = config_float(c, "sample.sigma_max");
    s.sampler.rho = config_float(c, "sample.rho");
    if (method == SAMPLER_STOCHASTIC) {
        s.sampler.s_churn = config_float(c, "sample.s_churn");
        s.sampler.s_min = config_float(c, "sample.s_min");
        s.sampler.s_max = config_float(c, "sample.s_max");
        s.sampler.s_noise = config_float(c, "sample.s_noise");
    }
    DISCO_CHECK(s.sampler.steps >= 1 && s.sampler.sigma_min > 0 && s.sampler.sigma_max > s.sampler.sigma_min,
                "sample: need steps >= 1 and 0 < sigma_min < sigma_max (got %d, %g, %g)", s.sampler.steps,
                s.sampler.sigma_min, s.sampler.sigma_max);
    sampler_nfe(&s.sampler); /* checks the restart intervals against the grid */
    return s;
}
