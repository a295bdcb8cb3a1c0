#include "disco/progress.h"

#include <unistd.h>

#include "disco/timer.h"

static void format_duration(double seconds, char *buf, size_t size) {
    if (seconds < 0 || seconds > 1e7) {
        snprintf(buf, size, "?");
        return;
    }
    int s = (int)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%dh%02dm", s / 3600, (s / 60) % 60);
    else
        snprintf(buf, size, "%dm%02ds", s / 60, s % 60);
}

void progress_begin(Progress *p, FILE *out, const char *label, const char *unit, uint64_t total) {
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->done = 0;
    p->out = out;
    p->start_time = time_now();
    p->last_print_time = p->start_time;
    p->live = isatty(fileno(out));
    p->print_interval = p->live ? 0.2 : 10.0;
}

static void progress_print(Progress *p, const char *extra, int final) {
    double elapsed = time_now() - p->start_time;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0.0;
    char eta[32], took[32];
    format_duration(rate > 0 ? (double)(p->total - p->done) / rate : -1, eta, sizeof eta);
    format_duration(elapsed, took, sizeof took);
    double percent = p->total ? 100.0 * (double)p->done / (double)p->total : 100.0;
    fprintf(p->out, "%s%s %llu/%llu (%.0f%%) %.2f %s/s %s %s%s%s", p->live ? "\r\033[K" : "", p->label,
            (unsigned long long)p->done, (unsigned long long)p->total, percent, rate, p->unit,
            final ? "took" : "eta", final ? took : eta, extra ? "  " : "", extra ? extra : "");
    if (!p->live || final) fputc('\n', p->out);
    fflush(p->out);
}

void progress_update(Progress *p, uint64_t done, const char *extra) {
    p->done = done;
    double now = time_now();
    if (now - p->last_print_time < p->print_interval) return;
    p->last_print_time = now;
    progress_print(p, extra, 0);
}

void progress_end(Progress *p, const char *extra) { progress_print(p, extra, 1); }
