#!/usr/bin/env python3
"""Plot DisCo-Diff against the baseline from two `disco train` run directories.

Left: the loss per element at fixed noise levels after training
(loss_by_sigma.json, EMA weights), as DisCo-Diff's Fig. 7a plots it.
Right: the training loss in each sigma band over the steps (metrics.jsonl),
averaged over windows of steps.

Usage: plot_loss_by_sigma.py DISCO_RUN BASELINE_RUN OUT.png
Needs matplotlib (Debian: python3-matplotlib).
"""
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_metrics(run):
    with open(f"{run}/metrics.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def windowed(rows, band, window):
    """Mean of a band's loss over consecutive windows of log lines, skipping empty bands."""
    steps, means = [], []
    for start in range(0, len(rows) - window + 1, window):
        chunk = [r["loss_by_sigma"][band] for r in rows[start:start + window]]
        chunk = [x for x in chunk if x is not None and not math.isnan(x)]
        if chunk:
            steps.append(rows[start + window - 1]["step"])
            means.append(sum(chunk) / len(chunk))
    return steps, means


def main():
    disco_run, baseline_run, out = sys.argv[1:4]
    runs = {"DisCo-Diff": disco_run, "baseline (EDM)": baseline_run}
    colours = {"DisCo-Diff": "tab:blue", "baseline (EDM)": "tab:orange"}
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, run in runs.items():
        with open(f"{run}/loss_by_sigma.json") as f:
            e = json.load(f)
        left.plot(e["sigma"], e["loss"], "o-", color=colours[name], label=name)
    left.set_xscale("log")
    left.set_xlabel("noise level sigma")
    left.set_ylabel("EDM loss per element (EMA weights)")
    left.set_title(f"After training: loss at fixed sigma, {e['images']} held-out images")
    left.grid(alpha=0.3)
    left.legend()

    styles = ["-", "--", "-.", ":", (0, (1, 3))]
    for name, run in runs.items():
        rows = read_metrics(run)
        edges = rows[0]["sigma_band_edges"]
        labels = [f"< {edges[0]}"] + [f"{a}-{b}" for a, b in zip(edges, edges[1:])] + [f">= {edges[-1]}"]
        for band, label in enumerate(labels):
            steps, means = windowed(rows, band, max(1, len(rows) // 20))
            right.plot(steps, means, linestyle=styles[band], color=colours[name],
                       label=f"{name}, sigma {label}")
    right.set_xlabel("step")
    right.set_ylabel("training loss per element")
    right.set_title("During training, by sigma band")
    right.set_yscale("log")
    right.grid(alpha=0.3)
    right.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
