/* disco toy: DisCo-Diff's 2D experiment (App. F). Runs every stage for the
   plain EDM model (DIR/baseline) and for DisCo-Diff (DIR/disco) on the same
   data and budget, and prints W2, curvature and mode coverage side by side,
   with a picture. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "disco/error.h"
#include "disco/timer.h"
#include "toy_config.h"

static void run_model(const ToyRunSpec *spec, const char *dir, const float *data, const float *reference,
                      const char *yaml, ToyRunResult *r) {
    double start = time_now();
    DISCO_CHECK(mkdir(dir, 0755) == 0 || errno == EEXIST, "cannot create '%s': %s", dir, strerror(errno));
    toy_stage_train(spec, dir, data, yaml, NULL, r);
    toy_stage_encode(spec, dir, data, r);
    toy_stage_prior(spec, dir);
    toy_stage_sample(spec, dir, r);
    r->scores = toy_score(&spec->mixture, r->samples, reference, spec->samples);
    r->seconds = time_now() - start;
}

static void print_row(const char *label, double a, double b, const char *format) {
    printf("  %-34s", label);
    printf(format, a);
    printf(format, b);
    putchar('\n');
}

static void write_results(const char *dir, const ToyRunResult r[2], double floor, double floor_iid) {
    char path[1024], tmp[1040];
    snprintf(path, sizeof path, "%s/results.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    DISCO_CHECK(f, "cannot write '%s': %s", tmp, strerror(errno));
    fprintf(f, "{\"w2_exact_stratified\": %.6f, \"w2_exact_iid\": %.6f", floor, floor_iid);
    const char *names[2] = {"baseline", "disco"};
    for (int i = 0; i < 2; i++)
        fprintf(f,
                ", \"%s\": {\"w2\": %.6f, \"w2_by_mode\": %.6f, \"curvature\": %.6f, \"coverage\": %.4f, "
                "\"off_mode\": %.6f, \"train_loss\": %.6f, \"train_seconds\": %.1f, \"seconds\": %.1f}",
                names[i], r[i].scores.w2, r[i].scores.w2_by_mode, r[i].curvature, r[i].scores.coverage,
                r[i].scores.off_mode, r[i].train_loss, r[i].train_seconds, r[i].seconds);
    fprintf(f, "}\n");
    DISCO_CHECK(fclose(f) == 0 && rename(tmp, path) == 0, "cannot write '%s'", path);
}

int command_toy(int argc, char **argv) {
    const char *dir = "runs/toy2d";
    int exit_code = 0;
    Config *c = toy_config_from_args(argc, argv, "toy", &dir, &exit_code);
    if (!c) return exit_code;
    char path[1024];
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    char *yaml = read_text_file(path);

    ToyRunSpec specs[2] = {toy_spec(c, true), toy_spec(c, false)};
    int n = specs[0].points;
    float *data = toy_points(c, 0), *reference = toy_points(c, 1), *second = toy_points(c, 2);
    double floor = w2_exact(reference, second, n);
    /* The same with the mode of every point drawn at random: what exact
       sampling scores when its mode counts are multinomial. */
    float *iid = disco_malloc((size_t)n * 2 * sizeof(float), "toy points");
    RngKey iid_key = {.seed = (uint64_t)config_int(c, "data.seed") + 3, .stream = RNG_STREAM_DATA_ORDER};
    toy_sample(&specs[0].mixture, &iid_key, n, 0, iid, NULL);
    double floor_iid = w2_exact(reference, iid, n);
    free(iid);
    ToyRunResult results[2];
    memset(results, 0, sizeof results);
    const char *subdirs[2] = {"baseline", "disco"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
        run_model(&specs[i], path, data, reference, yaml, &results[i]);
    }

    const ToyRunResult *b = &results[0], *d = &results[1];
    printf("\n2D toy: %d points, %d steps of %d for each model, Heun with %d steps; DisCo-Diff's latent counts %s\n",
           n, specs[0].train.steps, specs[0].train.batch, specs[0].sampler.steps,
           specs[1].stratified_latents ? "stratified by the prior" : "drawn iid from the prior");
    printf("  %-34s%12s%12s\n", "", "baseline", "DisCo-Diff");
    print_row("W2", b->scores.w2, d->scores.w2, "%12.3f");
    printf("  %-34s%12.3f\n", "  exact samples, 1000 per mode", floor);
    printf("  %-34s%12.3f\n", "  exact samples, iid modes", floor_iid);
    print_row("W2 by mode", b->scores.w2_by_mode, d->scores.w2_by_mode, "%12.3f");
    print_row("curvature (median, mean over t)", b->curvature, d->curvature, "%12.3f");
    print_row("mode coverage", b->scores.coverage, d->scores.coverage, "%12.3f");
    print_row("off-mode fraction", b->scores.off_mode, d->scores.off_mode, "%12.4f");
    print_row("final training loss", b->train_loss, d->train_loss, "%12.4f");
    print_row("seconds training", b->train_seconds, d->train_seconds, "%12.1f");
    print_row("seconds in all", b->seconds, d->seconds, "%12.1f");
    printf("  DisCo-Diff uses %d of %d latent values (entropy %.2f bits)\n", d->latents_used, specs[1].model.codebook,
           d->latent_entropy);

    write_results(dir, results, floor, floor_iid);
    snprintf(path, sizeof path, "%s/toy.png", dir);
    toy_draw(path, b, d, n, specs[0].sampler.steps, specs[1].model.codebook);
    printf("  wrote %s/results.json and %s\n", dir, path);
    for (int i = 0; i < 2; i++) toy_run_free(&results[i]);
    free(data), free(reference), free(second), free(yaml);
    config_free(c);
    return 0;
}
