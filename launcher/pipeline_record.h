/* What disco pipeline has finished for one model, kept in the model's
   directory as pipeline.yaml (read and written through the config module's
   YAML), and the report it ends with. */
#ifndef DISCO_PIPELINE_RECORD_H
#define DISCO_PIPELINE_RECORD_H

/* Every *_seconds is -1 until its stage has finished. */
typedef struct {
    double train_seconds, train_steps, train_loss, loss_at_sigma_max;
    double encode_seconds, prior_seconds, sample_seconds;
    double fd, fd_images, fd_seconds;
} PipelineRecord;

/* DIR/pipeline.yaml, or nothing finished where there is none. */
PipelineRecord pipeline_record_load(const char *dir);
/* Rank 0 writes; the others keep theirs in memory only. */
void pipeline_record_save(const char *dir, const PipelineRecord *r);

typedef struct {
    const char *name, *dir;
    PipelineRecord record;
} PipelineRow;

/* Prints the table and writes it to RUN/report.md with the sample grids;
   sigma_max is the noise level of the loss column (eval.sigma_max). */
void pipeline_report(const char *run_dir, const PipelineRow *rows, int count, const char *network, double sigma_max,
                     double seconds);

#endif
