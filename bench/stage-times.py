#!/usr/bin/env python3
"""Per-stage figures of one Lakepipe run from its Spark event log.

Each Lakepipe stage runs its Spark jobs in a job group named after it (INGEST, CLEAN, FEATURES, TRAIN, TRAIN-<run>-
epoch-<n>, EVALUATE). For each group this prints the number of jobs, the sum of their durations and the span
from its first job's start to its last job's end, then the application's length and how many stages ran with how
many tasks (a stage of 50 tasks on a tiny input is Delta's default snapshot partitioning).

    python3 bench/stage-times.py /tmp/events        # a folder holding one event log file, or the file itself
"""
import collections
import json
import os
import sys


def main(path):
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path))
        if len(files) != 1:
            sys.exit(f"{path}: expected one event log file, found {len(files)}; pass the file itself")
        path = files[0]
    jobs, first, last = {}, {}, {}
    groups = collections.defaultdict(lambda: [0, 0.0])
    tasks = collections.Counter()
    start = end = None
    with open(path, encoding="utf-8") as log:
        for line in log:
            e = json.loads(line)
            kind = e["Event"]
            if kind == "SparkListenerApplicationStart":
                start = e["Timestamp"]
            elif kind == "SparkListenerApplicationEnd":
                end = e["Timestamp"]
            elif kind == "SparkListenerJobStart":
                group = e.get("Properties", {}).get("spark.jobGroup.id") or "(no group)"
                if group.startswith("TRAIN-"):
                    group = "TRAIN epochs"
                jobs[e["Job ID"]] = (group, e["Submission Time"])
                first.setdefault(group, e["Submission Time"])
            elif kind == "SparkListenerJobEnd" and e["Job ID"] in jobs:
                group, submitted = jobs[e["Job ID"]]
                groups[group][0] += 1
                groups[group][1] += (e["Completion Time"] - submitted) / 1000
                last[group] = e["Completion Time"]
            elif kind == "SparkListenerStageCompleted":
                tasks[e["Stage Info"]["Number of Tasks"]] += 1
    print(f"{'job group':24s} {'jobs':>5s} {'job time':>9s} {'span':>8s} {'starts at':>10s}")
    for group in sorted(groups, key=first.get):
        n, busy = groups[group]
        print(f"{group:24s} {n:5d} {busy:8.1f}s {(last[group] - first[group]) / 1000:7.1f}s "
              f"{(first[group] - start) / 1000 if start else 0:9.1f}s")
    if start and end:
        print(f"application: {(end - start) / 1000:.1f} s")
    print("stages by task count: " + ", ".join(f"{n} tasks x {k}" for n, k in sorted(tasks.items())))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
