#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""unit/bench-report: tools/bench/report.py's summary over repetitions.

    tools/bench/test-report.py [REPORT_PY]

Feeds report.py a synthetic results.jsonl with known numbers across five
repetitions and checks what it makes of them: medians and ranges of each
configuration, ratios taken per repetition (not of the medians), a missing
repetition, a failed run, the targets' verdicts, summary.csv, the plot data
and script (and, when gnuplot is installed, that the PNGs are drawn); the
gap-free searches (gapfree.jsonl): the highest rate held per search, its
median over the searches, the ratios and their targets.
Exit 0 when all checks pass, 1 otherwise; TAP-like lines on stdout.
"""
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "report.py")
GIB = 1 << 30
MIB = 1 << 20

failed = 0
count = 0


def check(what, got, want):
    global failed, count
    count += 1
    if got == want:
        print(f"ok {count} - {what}")
    else:
        failed += 1
        print(f"not ok {count} - {what}: got {got!r}, want {want!r}")


def run(rep, udc, path, size, n, mibps, busy, host=0.0, k=1, status="ok", verified=True):
    """One iub-bench line: 1 GiB moved, so CPU seconds are seconds per GiB."""
    r = {"rep": rep, "udc": udc, "path": path, "size": size, "inflight": n, "streams": k,
         "buffer": "udmabuf", "status": status, "lane": "coherent", "error": None,
         "bytes": GIB, "seconds": 3.0, "mibps": mibps, "mibps_whole": mibps,
         "cpu_busy": busy, "cpu_host": host, "cpu_app": 0.5, "cpu_kthreads": 0.1,
         "syscalls": 1000, "verified": verified, "mismatches": 0}
    if status != "ok":
        r.update(error="iub-bench exit 1", bytes=0, mibps=0)
    return r


# the numbers: five repetitions of each configuration
SERIES = [
    # udc, path, size, inflight, MiB/s per rep, CPU s/GiB per rep
    ("sg", "copy", MIB, 1, [50, 60, 40, 55, 45], [20, 22, 18, 21, 19]),
    ("sg", "bridge", MIB, 8, [200, 100, 300, 220, 90], [5, 6, 4, 5, 7]),
    ("sg", "pair", MIB, 8, [200, 50, 150, 110, 45], [10, 6, 8, 5, 14]),
    ("sg", "bridge", 4096, 8, [10, 20, 30, 40, 50], [30, 30, 30, 30, 30]),
    ("sg", "pair", 4096, 8, [10, 10, 10, 10, None], [30, 30, 30, 30, None]),
    ("sg", "bridge", 65536, 8, [100, 100, 100, 100, 100], [10, 10, 10, 10, 10]),
    ("sg", "pair", 65536, 8, [100, 100, 100, 100, 100], [12, 12, 12, 12, 12]),
    ("dummy", "bridge", MIB, 8, [300, 300, 300, 300, 300], [8, 8, 8, 8, 8]),
    ("dummy", "sourcesink", MIB, 8, [400, 400, 400, 400, 400], [3, 3, 3, 3, 3]),
    ("dummy", "copy", MIB, 1, [100, 100, 100, 100, 100], [20, 20, 20, 20, 20]),
    ("dummy", "mixed", MIB, 8, [90, 80, 0, 70, 60], [20, 20, 0, 20, 20]),
    ("dummy", "bridge", 4096, 8, [20, 22, 21, 19, 18], [40, 41, 42, 43, 44]),
    ("dummy", "copy", 4096, 1, [5, 6, 7, 8, 9], [60, 60, 60, 60, 60]),
]


def make(d):
    lines = []
    for rep in range(1, 6):
        for udc, path, size, n, rates, cpus in SERIES:
            rate, cpu = rates[rep - 1], cpus[rep - 1]
            if rate is None:
                continue	# not run in this repetition
            if path == "mixed" and rep == 3:
                lines.append(run(rep, udc, path, size, n, 0, 0, status="failed"))
                continue
            host = 2.0 if udc == "dummy" else 0.0
            lines.append(run(rep, udc, path, size, n, rate, cpu + host, host=host))
    # a run with no steady state (one completion: "mibps" 0)
    r = run(1, "dummy", "copy", 4096, 1, 0, 9)
    r["bytes"] = MIB
    lines.append(r)
    # the refused pair on dummy_hcd, once
    lines.append({"rep": 1, "udc": "dummy", "path": "pair", "size": MIB, "inflight": 8,
                  "streams": 1, "buffer": "udmabuf", "status": "refused", "lane": "coherent",
                  "error": "FUNCTIONFS_DMABUF_ATTACH: EPERM"})
    with open(os.path.join(d, "results.jsonl"), "w") as f:
        for r in lines:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(d, "plan.txt"), "w") as f:
        f.write("coherent\nreps=5 seconds=2 quick=0\n")


def gtrial(rep, udc, path, rate_mib, held, status="ok"):
    """One gap-free trial of bench-guest.sh's search (iub-bench --rate)."""
    r = run(rep, udc, path, MIB, 1 if path == "copy" else 8, rate_mib, 1.0, status=status)
    r.update(rate=int(rate_mib * MIB), hold=5.0, dropped=0 if held else 4096,
             gaps=None if path in ("copy", "pair") else 0, kept=1.0, held=held)
    return r


# the searches: (udc, path, rep, [(MiB/s, held)...]) in the order tried
GAP = [
    ("sg", "stream", 1, [(128, True), (256, False), (192, True), (224, False)]),
    ("sg", "stream", 2, [(128, True), (256, True), (512, False), (384, False), (320, False),
                         (288, False)]),
    ("sg", "stream", 3, [(128, True), (256, False), (192, False), (160, True), (176, False)]),
    ("sg", "pair", 1, [(64, True), (128, False), (96, False), (80, False), (72, False)]),
    ("sg", "pair", 2, [(128, True), (256, False), (192, False)]),
    ("sg", "pair", 3, [(100, True), (200, "failed")]),
    ("sg", "copy", 1, [(32, True), (64, False)]),
    ("sg", "copy", 2, [(32, True), (64, False)]),
    ("sg", "copy", 3, [(80, True), (160, False)]),
    # every trial held: the search's cap; none held: below its lowest
    ("dummy", "stream", 1, [(256, True), (512, True)]),
    ("dummy", "copy", 1, [(16, False), (8, False)]),
]


def make_gap(d):
    with open(os.path.join(d, "gapfree.jsonl"), "w") as f:
        for udc, path, rep, trials in GAP:
            # the probe: no rate, not a trial
            f.write(json.dumps(run(rep, udc, path, MIB, 8, 300, 1.0)) + "\n")
            for mib, held in trials:
                if held == "failed":
                    r = gtrial(rep, udc, path, mib, False, status="failed")
                else:
                    r = gtrial(rep, udc, path, mib, held)
                f.write(json.dumps(r) + "\n")


def load_module():
    spec = importlib.util.spec_from_file_location("report", REPORT)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def main():
    rp = load_module()
    d = tempfile.mkdtemp(prefix="bench-report-")
    try:
        make(d)
        make_gap(d)
        runs = rp.load(os.path.join(d, "results.jsonl"))

        # medians and ranges over the repetitions
        s = rp.find(runs, "sg", "bridge")
        check("sg bridge 1 MiB x 8: throughput median, min, max, runs",
              s["spread"]["mibps"], (200, 90, 300, 5))
        check("sg bridge 1 MiB x 8: device CPU median, min, max",
              s["spread"]["dev_s_per_gib"][:3], (5.0, 4.0, 7.0))
        check("sg copy (1 in flight) is found at the point's 8",
              rp.find(runs, "sg", "copy")["spread"]["mibps"], (50, 40, 60, 5))
        check("dummy bridge: device CPU is the guest's minus the host side's",
              rp.find(runs, "dummy", "bridge")["dev_s_per_gib"], 8.0)
        check("an even number of values: the mean of the middle two",
              rp.median([4, 1, 3, 2]), 2.5)

        # ratios per repetition, not of the medians (these would be 200/110)
        rr = rp.rep_ratios(runs, rp.conf("sg", "bridge"), rp.conf("sg", "pair"))
        check("sg bridge/pair throughput per repetition",
              [round(x, 3) for _, x in rr], [1.0, 2.0, 2.0, 2.0, 2.0])
        check("... formatted", rp.fmt_ratios(rr), "2.00x (1.00-2.00)")
        rr = rp.rep_ratios(runs, rp.conf("sg", "bridge"), rp.conf("sg", "pair"),
                           "dev_s_per_gib")
        check("sg bridge/pair device CPU per repetition",
              [round(x, 3) for _, x in rr], [0.5, 1.0, 0.5, 1.0, 0.5])
        rr = rp.rep_ratios(runs, rp.conf("sg", "bridge", 4096), rp.conf("sg", "pair", 4096))
        check("a repetition missing on one side is left out",
              [(rep, round(x, 3)) for rep, x in rr], [(1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)])
        check("... its median of four", rp.fmt_ratios(rr), "2.50x (1.00-4.00)")

        # a failed run: out of the figures, counted as not verified
        m = rp.find(runs, "dummy", "mixed")
        check("dummy mixed: ok runs of all", (m["ok"], m["n"]), (4, 5))
        check("... median of the ok runs only", m["spread"]["mibps"], (75.0, 60, 90, 4))
        check("... verified says the failure", rp.verified(m), "NO (1 of 5 runs)")
        check("refused pair", rp.verified(rp.find(runs, "dummy", "pair")), "refused (EPERM)")
        s = rp.find(runs, "dummy", "copy", 4096)
        check("a run without a steady state has no throughput, still its CPU",
              (s["spread"]["mibps"], s["spread"]["dev_s_per_gib"][3], s["ok"]),
              ((7, 5, 9, 5), 6, 6))

        # the targets
        tg = {(t[0], t[1]): t for t in rp.targets(runs)}
        t = tg[("bridge / upstream pair, throughput, 1 MiB x 8", "sim SG UDC")]
        check("target sg 1 MiB throughput", t[2:], [">= 1.30x", "2.00x (1.00-2.00)", "4/5",
                                                    "met (not in every repetition)"])
        t = tg[("bridge / upstream pair, device CPU per GiB, 1 MiB x 8", "sim SG UDC")]
        check("target sg 1 MiB CPU", t[2:], ["<= 0.70x", "0.50x (0.50-1.00)", "3/5", "met (not in every repetition)"])
        t = tg[("bridge / upstream pair, throughput, 64 KiB x 8", "sim SG UDC")]
        check("target sg 64 KiB throughput", t[3:], ["1.00x", "0/5", "MISSED"])
        t = tg[("bridge / upstream pair, device CPU per GiB, 64 KiB x 8", "sim SG UDC")]
        check("target sg 64 KiB CPU", t[3:], ["0.83x", "5/5", "met"])
        t = tg[("bridge / upstream pair, throughput, 4 KiB x 8", "sim SG UDC")]
        check("target sg 4 KiB throughput", t[3:], ["2.50x (1.00-4.00)", "2/4",
                                                    "MISSED (met in some repetitions)"])
        t = tg[("bridge / f_sourcesink, throughput, 1 MiB x 8", "dummy_hcd")]
        check("target dummy bridge/f_sourcesink", t[3:], ["0.75x", "0/5", "MISSED"])
        t = tg[("bridge 64 MiB / bridge 1 MiB, throughput, x 8", "dummy_hcd")]
        check("a target without runs", t[3:], ["not measured", "-", "-"])
        t = tg[("bridge / copy path, throughput, 1 MiB x 8", "sim SG UDC")]
        # per rep 200/50 100/60 300/40 220/55 90/45 = 4, 1.667, 7.5, 4, 2
        check("target sg bridge/copy", t[3:], ["4.00x (1.67-7.50)", "3/5",
                                               "met (not in every repetition)"])

        # the gap-free searches
        gruns = rp.load_gapfree(os.path.join(d, "gapfree.jsonl"))
        check("gapfree.jsonl: the trials, not the probes", len(gruns),
              sum(len(t) for *_, t in GAP))
        se = rp.gap_searches(gruns)
        s1 = se[("sg", "stream", 1)]
        check("a search: the highest rate held, the lowest failed above it",
              (s1["highest"] // MIB, s1["failed"] // MIB), (192, 224))
        check("... a failed run is a rate not held",
              (se[("sg", "pair", 3)]["highest"] // MIB, se[("sg", "pair", 3)]["failed"] // MIB),
              (100, 200))
        grows = {(r[0], r[1]): r for r in rp.gap_rows(gruns)}
        r = grows[(rp.NAMES["stream"], "sim SG UDC")]
        check("sg stream: median (min-max) over three searches, failed at, trials, searches",
              r[2:], ["1 MiB x 8", "5 s (short)", "192.0 (160.0-256.0)", "224.0 (176.0-288.0)",
                      "15", "3"])
        check("sg copy: one buffer in flight, median of 32, 32, 80",
              grows[(rp.NAMES["copy"], "sim SG UDC")][2:5],
              ["1 MiB x 1", "5 s (short)", "32.0 (32.0-80.0)"])
        check("every trial held: at least the highest",
              grows[(rp.NAMES["stream"], "dummy_hcd")][4:6], [">= 512.0", "-"])
        check("no trial held: below the lowest tried",
              grows[(rp.NAMES["copy"], "dummy_hcd")][4:6], ["< 8.0", "8.0"])
        gt = {(t[0], t[1]): t for t in rp.gap_targets(gruns)}
        # per search: 192/64 256/128 160/100 = 3, 2, 1.6
        check("target stream/pair gap-free, ratios per repetition",
              gt[("stream / upstream pair, highest gap-free rate, 1 MiB x 8", "sim SG UDC")][2:],
              [">= 2.00x", "2.00x (1.60-3.00)", "2/3", "met (not in every repetition)"])
        # 192/32 256/32 160/80 = 6, 8, 2
        check("target stream/copy gap-free (sg)",
              gt[("stream / copy path, highest gap-free rate, 1 MiB x 8", "sim SG UDC")][2:],
              [">= 4.00x", "6.00x (2.00-8.00)", "2/3", "met (not in every repetition)"])
        check("target stream/copy gap-free (dummy): the copy path held nothing",
              gt[("stream / copy path, highest gap-free rate, 1 MiB x 8", "dummy_hcd")][3:],
              ["not measured", "-", "-"])

        # the whole report
        p = subprocess.run([sys.executable, REPORT, d, "--note", "synthetic"],
                           capture_output=True, text=True)
        check("report.py exits 0", (p.returncode, p.stderr[-500:]), (0, ""))
        txt = open(os.path.join(d, "table.txt")).read()
        check("table.txt: the number of repetitions", "5 repetitions" in txt, True)
        check("table.txt: sg bridge's row, median (min-max) and vs copy per repetition",
              any("the bridge" in x and "sim SG UDC" in x and "200.0 (90.0-300.0)" in x
                  and "4.00x (1.67-7.50)" in x and "5/5" in x for x in txt.splitlines()),
              True)
        rst = open(os.path.join(d, "table.rst")).read()
        check("table.rst: the targets table", "bridge / upstream pair, throughput, 4 KiB x 8"
              in rst and "met (not in every repetition)" in rst, True)
        check("table.rst: the gap-free targets among them",
              "stream / upstream pair, highest gap-free rate, 1 MiB x 8" in rst, True)
        grst = open(os.path.join(d, "table-gapfree.rst")).read()
        check("table-gapfree.rst: the table, its hold, its targets",
              ("192.0 (160.0-256.0)" in grst, "5 s (short)" in grst,
               "6.00x (2.00-8.00)" in grst), (True, True, True))
        check("table.txt: the gap-free table", "highest gap-free MiB/s" in txt, True)
        # the searches alone (run.sh --only gapfree): their tables only
        g = tempfile.mkdtemp(prefix="bench-report-gap-")
        try:
            make_gap(g)
            p = subprocess.run([sys.executable, REPORT, g], capture_output=True, text=True)
            check("the searches alone: report.py exits 0, writes their table",
                  (p.returncode, os.path.exists(os.path.join(g, "table-gapfree.rst")),
                   os.path.exists(os.path.join(g, "table.rst"))), (0, True, False))
        finally:
            shutil.rmtree(g)
        rows = list(csv.DictReader(open(os.path.join(d, "summary.csv"))))
        row = next(r for r in rows if r["udc"] == "sg" and r["path"] == "pair"
                   and r["size"] == "4096")
        check("summary.csv: sg pair 4 KiB", (row["runs"], row["mibps_median"], row["mibps_min"],
                                             row["mibps_max"]), ("4", "10.0", "10", "10"))
        dat = open(os.path.join(d, "sweep-size-sg.dat")).read().splitlines()
        # x, then copy (mibps med min max, dev med min max), pair (...), ...
        r4 = dat[1].split()
        check("sweep-size-sg.dat: 4 KiB, the pair's throughput median/min/max",
              r4[0:1] + r4[7:10], ["4", "10.0", "10", "10"])
        check("sweep-size-sg.dat: 4 KiB, the bridge's throughput median/min/max",
              r4[19:22], ["30", "10", "50"])
        gp = open(os.path.join(d, "plots.gp")).read()
        check("plots.gp: pngcairo, error bars",
              ("set terminal pngcairo" in gp, "yerrorlines" in gp), (True, True))
        check("plots.gp: a colour and dash of its own per path",
              len({ln.split(" dt ")[1].split()[0] + ln.split(" lc rgb ")[1].split()[0]
                   for ln in gp.splitlines() if " dt " in ln}), 5)
        pngs = open(os.path.join(d, "plots.txt")).read().split()
        check("plots.txt: the PNGs of the size sweep", sorted(pngs),
              ["cpu-size.png", "throughput-size.png"])
        if shutil.which("gnuplot"):
            g = subprocess.run(["gnuplot", "plots.gp"], cwd=d, capture_output=True, text=True)
            check("gnuplot draws them", (g.returncode, all(
                os.path.getsize(os.path.join(d, x)) > 1000 for x in pngs)), (0, True))
        # results of before the repetitions: numbered by their order
        old = os.path.join(d, "old.jsonl")
        with open(old, "w") as f:
            for v in (10, 30, 20):
                r = run(1, "sg", "bridge", MIB, 8, v, 5)
                del r["rep"]
                f.write(json.dumps(r) + "\n")
        check("results without rep: numbered 1, 2, 3",
              [r["rep"] for r in rp.load(old)], [1, 2, 3])
    finally:
        shutil.rmtree(d)
    print(f"1..{count}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
