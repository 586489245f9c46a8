#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the benchmark's results.jsonl into tables, CSV/JSON and plot data.

    tools/bench/report.py DIR [--command CMD] [--note TEXT]

Reads DIR/results.jsonl (one JSON object per iub-bench run, written by
tools/bench/bench-guest.sh) and, when there, DIR/results-bounced.jsonl (the
bounced lane: a boot with swiotlb=force, tools/bench/run.sh --bounce; every
line says "lane") and writes into DIR:

    results.csv, results.json   every run, with the per-GiB figures, its
                        "lane" (coherent or bounced) and "data" (yes, n/a,
                        or WRONG n of m words)
    table-libiio.txt, table-libiio.rst   instead, when plan.txt says libiio
                        (tools/bench/run.sh --libiio): the libiio clients'
                        rows, per daemon and buffer size, and their ratios
    table-gapfree.txt, table-gapfree.rst   when DIR/gapfree.jsonl is there
                        (bench-guest.sh's gap-free searches): the highest
                        rate each path held in real-time mode, per UDC
                        (the median over the searches); its ratios are in
                        the targets of table.txt and table.rst
    table.txt, table.rst        the main table, two streams, the targets,
                        the bounced lane's rows next to the coherent rows
                        of the same path and size, the bridge's sync cost,
                        every point of the run
    summary.csv         one row per configuration: the median, min and max
                        of each figure over the repetitions
    sweep-size-UDC.dat, sweep-inflight-UDC.dat, plots.gp, plots.txt
                        the sweeps' data, the gnuplot script that draws
                        them (pngcairo; cd DIR && gnuplot plots.gp) and the
                        PNGs it makes

Repetitions (bench-guest.sh --reps): each run's "rep" says which one it
belongs to (results without it: numbered by their order among the runs of
the same configuration). A configuration's figures are the median, min and
max over its ok runs; a ratio between two configurations is taken per
repetition (the two runs of the same repetition), then summarised the same
way; the targets' verdicts are on the median of those ratios.
    profile.txt         (with --profile) where the CPU time goes, per path,
                        from the perf samples' call chains; the bridge's
                        stages from its tracepoints

Per-GiB figures (Documentation/benchmark.rst):
    cpu_s_per_gib       the whole guest's CPU time (both CPUs busy time
                        from /proc/stat: wall time minus idle) per GiB
    host_s_per_gib      of which the USB host side (iub-bench-recv, getrusage)
    dev_s_per_gib       the rest: device side, simulated hardware, kernel
    app_s_per_gib       the device-side program itself (getrusage)
    syscalls_per_gib    syscalls the device-side program made per GiB
"""
import argparse
import csv
import glob
import gzip
import json
import math
import os
import sys

GIB = 1 << 30
MIB = 1 << 20
PATHS = ["copy", "pair", "mixed", "bridge", "stream", "sourcesink"]
NAMES = {
    "copy": "copy: read() IIO + write() FunctionFS",
    "pair": "upstream DMABUF pair (IIO + FunctionFS)",
    "mixed": "mixed: IIO DMABUF + write() of the map",
    "bridge": "the bridge: io_uring routes",
    "stream": "the bridge: one in-kernel stream",
    "sourcesink": "ceiling: f_sourcesink bulk IN",
    "capture": "simulated ADC alone (no USB)",
}
UDCS = {"dummy": "dummy_hcd", "sg": "sim SG UDC", "none": "-"}
LANES = ["coherent", "bounced"]


def load(path, lane="coherent"):
    """The runs of a results file; lines without "lane" are @lane's, lines
    without "rep" (results of before the interleaved plan) are numbered by
    their order among the runs of the same configuration."""
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                runs.append(json.loads(line))
            except json.JSONDecodeError as e:
                print(f"report: skipping a bad line: {e}", file=sys.stderr)
    seen = {}
    for r in runs:
        r.setdefault("lane", lane)
        if "rep" not in r:
            k = conf_key(r)
            seen[k] = seen.get(k, 0) + 1
            r["rep"] = seen[k]
        derive(r)
    return runs


def conf_key(r):
    """What a run measured: lane, UDC, path, size, in flight, streams, buffer."""
    return (r.get("lane", "coherent"), r.get("udc"), r.get("path"), r.get("size"),
            r.get("inflight"), r.get("streams"), r.get("buffer", "udmabuf"))


def derive(r):
    b = r.get("bytes") or 0
    ok = r.get("status") == "ok" and b > 0
    gib = b / GIB if ok else 0
    r["gib"] = round(gib, 4)

    def per_gib(v):
        return round(v / gib, 3) if gib and v is not None else None
    busy, host = r.get("cpu_busy"), r.get("cpu_host") or 0.0
    r["cpu_s_per_gib"] = per_gib(busy)
    r["host_s_per_gib"] = per_gib(host)
    r["dev_s_per_gib"] = per_gib(busy - host) if busy is not None else None
    r["app_s_per_gib"] = per_gib(r.get("cpu_app"))
    r["kthreads_s_per_gib"] = per_gib(r.get("cpu_kthreads"))
    sc = r.get("syscalls")
    r["syscalls_per_gib"] = round(sc / gib) if gib and sc is not None else None
    # A run that moved data but whose measuring side saw fewer than two
    # completions (a slow path at a small size: the host side's transfers
    # are of 1 MiB) has no steady state: its throughput is not a figure.
    if ok and not r.get("mibps") and "samples" not in r:
        r["mibps"] = None
        r["no_steady_state"] = True
    r["data"] = data_fact(r)


def data_fact(r):
    """What arrived, as a fact: yes, n/a (not the stream), WRONG n of m words
    (4-byte words; the verifiers count the words that broke continuity)."""
    st = r.get("status")
    if st != "ok":
        return st or "-"
    v = r.get("verified")
    if v is None:
        return "n/a"
    if v:
        return "yes"
    m = r.get("mismatches")
    words = (r.get("bytes") or 0) // 4
    if m:
        return f"WRONG {m} of {words} words"
    return "NO (" + (r.get("error") or "byte count") + ")"


# ---- repetitions: medians, ranges, per-repetition ratios -------------------------

# the figures summarised per path and point over the repetitions
KEYS = ["mibps", "mibps_whole", "cpu_s_per_gib", "dev_s_per_gib", "host_s_per_gib",
        "app_s_per_gib", "syscalls_per_gib"]


def median(v):
    """The median of a list (of an even number: the mean of the middle two)."""
    v = sorted(v)
    if not v:
        return None
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def spread(v):
    """(median, min, max, n) of the numbers in @v (None left out), or None."""
    v = [x for x in v if x is not None]
    if not v:
        return None
    return (median(v), min(v), max(v), len(v))


def inflight_of(path, inflight):
    """The buffers in flight a path runs with at a point: the copy path 1."""
    return 1 if path == "copy" else inflight


def matching(runs, udc, path, size=MIB, inflight=None, streams=1, lane="coherent",
             buffer="udmabuf"):
    """The runs of one configuration (inflight None: 8, the copy path 1)."""
    if inflight is None:
        inflight = 8
    inflight = inflight_of(path, inflight)
    return [r for r in runs
            if (r.get("udc") == udc and r.get("path") == path and r.get("size") == size
                and r.get("inflight") == inflight and r.get("streams") == streams
                and r.get("lane", "coherent") == lane
                and r.get("buffer", "udmabuf") == buffer)]


def is_ok(r):
    return r is not None and r.get("status") == "ok"


def summary(m):
    """The runs @m of one configuration summed up over their repetitions:
    "n" runs, "ok" of them ok, for each of KEYS (key, min, max, n) of the ok
    runs under "spread", their median under the key itself, and the first ok
    run's other fields (status, verified...); every repetition verified or
    not in "all_verified"."""
    if not m:
        return None
    ok = [r for r in m if is_ok(r)]
    if not ok:
        s = dict(m[0])
        s.update(n=len(m), ok=0, spread={}, range=None)
        return s
    s = dict(ok[0])
    s["n"], s["ok"] = len(m), len(ok)
    s["spread"] = {}
    for k in KEYS:
        sp = spread([r.get(k) for r in ok])
        s["spread"][k] = sp
        s[k] = sp[0] if sp else None
    sp = s["spread"]["mibps"]
    s["range"] = (sp[1], sp[2]) if sp and sp[3] > 1 else None
    s["bad"] = sum(1 for r in m if not is_ok(r) or r.get("verified") is False)
    s["all_verified"] = not s["bad"]
    return s


def find(runs, udc, path, size=MIB, inflight=None, streams=1, lane="coherent",
         buffer="udmabuf"):
    """A configuration over its repetitions (summary()): the medians, with
    the range of the throughput in "range". Of the coherent lane unless
    asked; inflight None: the table's 8 (the copy path: 1)."""
    return summary(matching(runs, udc, path, size, inflight, streams, lane, buffer))


def by_rep(runs, **conf):
    """{rep: run} of the ok runs of a configuration."""
    return {r["rep"]: r for r in matching(runs, **conf) if is_ok(r)}


def rep_ratios(runs, num, den, key="mibps", den_key=None):
    """The ratio num/den of @key (of @den_key for the denominator), per
    repetition: the runs of the same repetition only. @num and @den are the
    configurations (matching()'s keyword arguments). [(rep, ratio)]."""
    a, b = by_rep(runs, **num), by_rep(runs, **den)
    out = []
    for rep in sorted(set(a) & set(b)):
        x, y = a[rep].get(key), b[rep].get(den_key or key)
        if x is not None and y:
            out.append((rep, x / y))
    return out


def fmt_spread(sp, nd=1, unit=""):
    """median (min-max) of a spread(), or "-"."""
    if not sp:
        return "-"
    m, lo, hi, n = sp
    if n == 1 or lo == hi:
        return f"{fmt(m, nd)}{unit}"
    return f"{fmt(m, nd)}{unit} ({fmt(lo, nd)}-{fmt(hi, nd)})"


def fmt_ratios(rr, nd=2):
    """Per-repetition ratios as median x (min-max), or "-"."""
    return fmt_spread(spread([x for _, x in rr]), nd, "x")


def fmt_rate(r):
    if not r.get("range"):
        return fmt(r.get("mibps"))
    return f"{r['mibps']:.1f} ({r['range'][0]:.0f}-{r['range'][1]:.0f})"


def fmt(v, nd=1):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{nd}f}"


def ratio(a, b, nd=2):
    if a is None or b is None or not b:
        return "-"
    return f"{a / b:.{nd}f}x"


def verified(r):
    if r is None:
        return "not run"
    if r.get("all_verified") is False and r.get("status") == "ok":
        return f"NO ({r.get('bad', '?')} of {r.get('n', '?')} runs)"
    st = r.get("status")
    if st == "refused":
        err = r.get("error") or ""
        return "refused (EPERM)" if "EPERM" in err else "refused"
    if st != "ok":
        return st
    v = r.get("verified")
    return "n/a" if v is None else "yes" if v else "NO"


# ---- the bounced lane -----------------------------------------------------------

BHEAD = ["path", "UDC", "size x in flight", "MiB/s", "vs coherent", "guest CPU s/GiB",
         "device CPU s/GiB", "vs coherent", "data"]


def kib(n):
    return f"{n // MIB} MiB" if n >= MIB else f"{n // 1024} KiB"


def bounced_rows(runs):
    """Each configuration the bounced lane measured: the coherent lane's row of
    the same path, UDC, size and buffers in flight (when measured), then the
    bounced row ("(bounced)"), with the bounced/coherent ratios."""
    order = {p: i for i, p in enumerate(PATHS + ["capture"])}
    confs = sorted({(r["udc"], r["path"], r["size"], r["inflight"], r["streams"])
                    for r in runs if r.get("lane") == "bounced"},
                   key=lambda c: (c[0] == "none", c[0], c[2], order.get(c[1], 99), c[4]))
    rows = []
    for udc, path, size, n, k in confs:
        c = find(runs, udc, path, size, n, k, lane="coherent")
        b = find(runs, udc, path, size, n, k, lane="bounced")
        name = NAMES.get(path, path) + (f", {k} streams" if k > 1 else "")
        conf = f"{kib(size)} x {n}"

        def ok(r):
            return r is not None and r.get("status") == "ok"
        for lane, r in (("coherent", c), ("bounced", b)):
            if r is None and lane == "coherent":
                rows.append([name, UDCS.get(udc, udc), conf, "not measured", "", "", "",
                             "", ""])
                continue
            g = (lambda key, r=r: r.get(key) if ok(r) else None)
            vs = lane == "bounced" and ok(c)
            rows.append([
                name + (" (bounced)" if lane == "bounced" else ""),
                UDCS.get(udc, udc), conf,
                fmt_rate(r) if ok(r) else "-",
                ratio(g("mibps"), c.get("mibps")) if vs else "",
                fmt(g("cpu_s_per_gib"), 2),
                fmt(g("dev_s_per_gib"), 2),
                ratio(g("dev_s_per_gib"), c.get("dev_s_per_gib")) if vs else "",
                r.get("data") + (" (a repetition: NO)" if ok(r) and r.get("data") == "yes"
                                 and r.get("all_verified") is False else ""),
            ])
    return rows


def any_table(head, rows, rst=False):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    if rst:
        sep = " ".join("=" * x for x in w)
        out = [sep, " ".join(h.ljust(w[i]) for i, h in enumerate(head)), sep]
        out += [" ".join(str(x).ljust(w[i]) for i, x in enumerate(r)) for r in rows]
        return "\n".join(out + [sep])
    out = ["  ".join(h.ljust(w[i]) for i, h in enumerate(head)),
           "  ".join("-" * x for x in w)]
    out += ["  ".join(str(x).ljust(w[i]) for i, x in enumerate(r)).rstrip() for r in rows]
    return "\n".join(out)


def sync_counts(d):
    """lane -> the key=value pairs of sync-count.txt (bench-guest.sh's
    function-tracer count of the bridge's dma_sync_single_for_*() calls)."""
    res = {}
    for lane, fname in (("coherent", "sync-count.txt"), ("bounced", "sync-count-bounced.txt")):
        try:
            txt = open(os.path.join(d, fname)).read().split()
        except OSError:
            continue
        kv = dict(x.split("=", 1) for x in txt if "=" in x)
        if kv.get("lane") == lane:
            res[lane] = kv
    return res


def sync_cost(runs, d):
    """What the bridge's syncs cost: a statement of what the code does in the
    coherent lane, the counted calls, and the bridge's bytes per device
    CPU-second coherent against bounced where both lanes measured it."""
    out = ["The bridge's DMA syncs. Coherent lane: dma_need_sync() is false for every "
           "mapping (the VM's",
           "x86 is cache coherent and nothing is bounced), so the bridge makes no "
           "dma_sync_single_for_*()",
           "call at all (iub_xfer_sync() returns before walking the range): they cost "
           "nothing there."]
    sc = sync_counts(d)
    for lane in LANES:
        kv = sc.get(lane)
        if not kv or "bridge_for_device" not in kv:
            continue
        routes = int(kv.get("routes", 0))
        dev, cpu = int(kv["bridge_for_device"]), int(kv["bridge_for_cpu"])
        per = f" ({(dev + cpu) / routes:.1f} per route)" if routes else ""
        out.append(f"  counted ({lane}, function tracer, {UDCS.get(kv.get('udc'), '?')} bridge "
                   f"{kib(int(kv.get('size', 0)))} x {kv.get('inflight', '?')}, {routes} routes): "
                   f"{dev} for the device + {cpu} for the CPU{per}"
                   + (f", {kv['lost_events']} events lost" if kv.get("lost_events", "0") != "0"
                      else ""))
    pairs = []
    for udc, path, size, n, k in sorted({(r["udc"], r["path"], r["size"], r["inflight"],
                                          r["streams"]) for r in runs
                                         if r.get("lane") == "bounced"
                                         and r.get("path") in ("bridge", "capture")}):
        c = find(runs, udc, path, size, n, k, lane="coherent")
        b = find(runs, udc, path, size, n, k, lane="bounced")
        if not (c and b and c.get("status") == "ok" and b.get("status") == "ok"
                and c.get("dev_s_per_gib") and b.get("dev_s_per_gib")):
            continue
        where = "capture (no USB)" if path == "capture" else f"{path} on {UDCS.get(udc, udc)}"
        pairs.append(f"  {where}, {kib(size)} x {n}: "
                     f"{1024 / c['dev_s_per_gib']:.1f} MiB per device CPU-second coherent, "
                     f"{1024 / b['dev_s_per_gib']:.1f} bounced: bounced/coherent CPU per byte "
                     f"{b['dev_s_per_gib'] / c['dev_s_per_gib']:.2f}")
    if pairs:
        out.append("Bounced lane: the swiotlb copies (each stage's range copied once) and "
                   "the sync calls,")
        out.append("as the bridge's bytes per device CPU-second (of the medians over the "
                   "repetitions):")
        out += pairs
        if any(p.rsplit(" ", 1)[-1] < "1" for p in pairs):
            out.append("  (a ratio below 1 is the shared host's noise between the two boots: "
                       "bouncing only adds work)")
    return out


def table_rows(runs, streams):
    """The main table at 1 MiB x 8 (the copy path: x 1): per path the median
    and range over the repetitions, and the ratios to the copy path of the
    same repetition."""
    rows = []
    for udc in ["dummy", "sg"]:
        cconf = dict(udc=udc, path="copy", size=MIB, inflight=8, streams=streams)
        for p in PATHS:
            conf = dict(udc=udc, path=p, size=MIB, inflight=8, streams=streams)
            r = find(runs, **conf)
            if r is None:
                continue
            ok = r.get("ok", 0) > 0
            sp = r.get("spread", {})
            rows.append([
                NAMES[p], UDCS[udc],
                fmt_spread(sp.get("mibps")) if ok else "-",
                fmt_ratios(rep_ratios(runs, conf, cconf)) if p != "copy" else "1.00x",
                fmt(r.get("cpu_s_per_gib"), 2) if ok else "-",
                fmt_spread(sp.get("dev_s_per_gib"), 2) if ok else "-",
                fmt_ratios(rep_ratios(runs, conf, cconf, "dev_s_per_gib"))
                if p != "copy" else "1.00x",
                fmt(r.get("host_s_per_gib"), 2) if ok else "-",
                fmt(r.get("syscalls_per_gib"), 0) if ok and p != "sourcesink" else "-",
                verified(r), f"{r.get('ok', 0)}/{r.get('n', 0)}",
            ])
    cap = find(runs, "none", "capture", streams=streams)
    if cap and cap.get("ok"):
        sp = cap["spread"]
        rows.append([NAMES["capture"], "-", fmt_spread(sp.get("mibps")), "-",
                     fmt(cap["cpu_s_per_gib"], 2), fmt_spread(sp.get("dev_s_per_gib"), 2),
                     "-", "-", fmt(cap["syscalls_per_gib"], 0), "n/a",
                     f"{cap['ok']}/{cap['n']}"])
    return rows


HEAD = ["path", "UDC", "MiB/s (min-max)", "vs copy", "guest CPU s/GiB",
        "device CPU s/GiB (min-max)", "vs copy", "host CPU s/GiB", "syscalls/GiB",
        "verified", "runs"]


def text_table(rows):
    return any_table(HEAD, rows)


def rst_table(rows):
    return any_table(HEAD, rows, rst=True)


def conf(udc, path, size=MIB, inflight=8, streams=1):
    return dict(udc=udc, path=path, size=size, inflight=inflight, streams=streams)


# The targets: (what, UDC, numerator, denominator, figure, goal, higher is
# better). The ratio is taken per repetition (the two runs of the same
# repetition), the verdict on the median of those ratios. First the
# comparisons the targets ask for at 1 MiB, 64 KiB and 4 KiB (the SG UDC
# against the upstream pair; where no number is given for the CPU, "no more
# than the pair", 1.0x), for the bridge's routes and (but for the CPU at 64
# and 4 KiB) for its in-kernel stream; then the earlier targets.
ASKED = [
    # (size, figure, goal, higher is better, also for the stream)
    (MIB, "mibps", 1.3, True, True),
    (MIB, "dev_s_per_gib", 0.7, False, True),
    (64 << 10, "mibps", 2.0, True, True),
    (64 << 10, "dev_s_per_gib", 1.0, False, False),
    (4096, "mibps", 3.0, True, True),
    (4096, "dev_s_per_gib", 1.0, False, False),
]
FIGURE = {"mibps": "throughput", "dev_s_per_gib": "device CPU per GiB"}
TARGETS = [
    (f"{p} / upstream pair, {FIGURE[key]}, {kib(size)} x 8", "sg",
     conf("sg", p, size), conf("sg", "pair", size), key, goal, high)
    for p in ("bridge", "stream")
    for size, key, goal, high, stream in ASKED if p == "bridge" or stream
] + [
    (f"{p} / f_sourcesink, throughput, 1 MiB x 8", "dummy",
     conf("dummy", p), conf("dummy", "sourcesink"), "mibps", 0.9, True)
    for p in ("bridge", "stream")
] + [t for udc in ("dummy", "sg") for t in (
    ("bridge / copy path, throughput, 1 MiB x 8", udc,
     conf(udc, "bridge"), conf(udc, "copy"), "mibps", 2.5, True),
    ("bridge / copy path, device CPU per GiB, 1 MiB x 8", udc,
     conf(udc, "bridge"), conf(udc, "copy"), "dev_s_per_gib", 0.3, False),
    ("  the same, whole guest CPU per GiB", udc,
     conf(udc, "bridge"), conf(udc, "copy"), "cpu_s_per_gib", 0.3, False),
    ("bridge 64 MiB / bridge 1 MiB, throughput, x 8", udc,
     conf(udc, "bridge", 64 * MIB), conf(udc, "bridge"), "mibps", 0.95, True),
)] + [
    ("bridge / f_sourcesink, throughput, 1 MiB x 8", "sg",
     conf("sg", "bridge"), conf("sg", "sourcesink"), "mibps", 0.9, True),
    ("bridge / mixed (the best upstream DMABUF path here), throughput, 1 MiB x 8",
     "dummy", conf("dummy", "bridge"), conf("dummy", "mixed"), "mibps", 1.2, True),
]


def targets(runs):
    """[target, UDC, goal, measured, reps met, verdict] per target:
    the median (min-max) of the per-repetition ratios, and whether the
    median meets the goal."""
    res = []
    for name, udc, num, den, key, goal, high in TARGETS:
        rr = rep_ratios(runs, num, den, key)
        g = f">= {goal:.2f}x" if high else f"<= {goal:.2f}x"
        if not rr:
            res.append([name, UDCS[udc], g, "not measured", "-", "-"])
            continue
        vals = [x for _, x in rr]
        met = sum(1 for x in vals if (x >= goal if high else x <= goal))
        m = median(vals)
        ok = m >= goal if high else m <= goal
        verdict = "met" if ok else "MISSED"
        if 0 < met < len(vals) or (ok and met < len(vals)):
            verdict += " (not in every repetition)" if ok else " (met in some repetitions)"
        res.append([name, UDCS[udc], g, fmt_ratios(rr), f"{met}/{len(vals)}", verdict])
    # streaming: fewer than one system call per 64 buffers (not a ratio)
    for udc in ("sg", "dummy"):
        per = [(rep, r["syscalls"] * 64 * r["size"] / r["bytes"])
               for rep, r in sorted(by_rep(runs, **conf(udc, "stream")).items())
               if r.get("bytes") and r.get("syscalls") is not None]
        if not per:
            res.append(["stream: system calls per 64 buffers, 1 MiB x 8", UDCS[udc],
                        "< 1", "not measured", "-", "-"])
            continue
        vals = [x for _, x in per]
        met = sum(1 for x in vals if x < 1)
        res.append(["stream: system calls per 64 buffers, 1 MiB x 8", UDCS[udc], "< 1",
                    fmt_spread(spread(vals), 2), f"{met}/{len(vals)}",
                    "met" if median(vals) < 1 else "MISSED"])
    return res


THEAD = ["target", "UDC", "goal", "measured: median (min-max) of the ratios",
         "repetitions meeting it", "verdict"]


# ---- the highest gap-free rate ----------------------------------------------------

def load_gapfree(path):
    """The gap-free trials of bench-guest.sh's searches (the lines of
    gapfree.jsonl with a "rate"; the probes have none), or []."""
    try:
        return [r for r in load(path) if r.get("rate")]
    except FileNotFoundError:
        return []


def gap_searches(gruns):
    """{(udc, path, rep): search} of the trials: "highest", the highest
    rate held (None: none held), "failed", the lowest rate above it that
    failed (None: none tried, the search's cap), "lowest", the lowest rate
    tried, "hold" (the hold times, seconds), "trials", "size", "inflight"."""
    res = {}
    for r in gruns:
        k = (r.get("udc"), r.get("path"), r.get("rep", 1))
        s = res.setdefault(k, dict(held=[], notheld=[], hold=set(), trials=0,
                                   size=r.get("size"), inflight=r.get("inflight")))
        s["trials"] += 1
        s["hold"].add(r.get("hold"))
        (s["held"] if r.get("held") is True else s["notheld"]).append(r["rate"])
    for s in res.values():
        s["highest"] = max(s["held"]) if s["held"] else None
        above = [x for x in s["notheld"] if s["highest"] is None or x > s["highest"]]
        s["failed"] = min(above) if above else None
        s["lowest"] = min(s["held"] + s["notheld"])
    return res


def fmt_hold(holds):
    """The hold times of some trials, "30 s" (a short one says so)."""
    h = sorted(x for x in holds if x is not None)
    if not h:
        return "-"
    txt = "/".join(f"{x:g} s" for x in h)
    return txt if min(h) >= 30 else txt + " (short)"


def gap_rows(gruns):
    """Per path and UDC: the highest gap-free rate, median (min-max) over
    the searches; a search whose every trial held says ">=" (its cap), one
    that held none "<" its lowest rate."""
    se = gap_searches(gruns)
    rows = []
    for udc in ["sg", "dummy"]:
        for p in PATHS:
            ss = [v for (u, pa, _), v in sorted(se.items()) if u == udc and pa == p]
            if not ss:
                continue
            hi = [s["highest"] / MIB for s in ss if s["highest"] is not None]
            txt = fmt_spread(spread(hi)) if hi else \
                "< " + fmt(min(s["lowest"] for s in ss) / MIB)
            if hi and any(s["failed"] is None and s["highest"] is not None for s in ss):
                txt = ">= " + txt
            fl = [s["failed"] / MIB for s in ss if s["failed"] is not None]
            rows.append([NAMES[p], UDCS[udc], f"{kib(ss[0]['size'])} x {ss[0]['inflight']}",
                         fmt_hold(set().union(*(s["hold"] for s in ss))), txt,
                         fmt_spread(spread(fl)) if fl else "-",
                         str(sum(s["trials"] for s in ss)), str(len(ss))])
    return rows


GHEAD = ["path", "UDC", "buffers", "held for", "highest gap-free MiB/s (min-max)",
         "failed at MiB/s", "trials", "searches"]

# the gap-free targets: (what, UDC, numerator, denominator, goal)
GAP_TARGETS = [
    ("stream / upstream pair, highest gap-free rate, 1 MiB x 8", "sg", "stream", "pair", 2.0),
] + [("stream / copy path, highest gap-free rate, 1 MiB x 8", udc, "stream", "copy", 4.0)
     for udc in ("sg", "dummy")]


def gap_targets(gruns):
    """The targets' rows (targets()) of the gap-free rates: the ratio of
    the highest rates of the same repetition's searches."""
    se = gap_searches(gruns)
    res = []
    for name, udc, num, den, goal in GAP_TARGETS:
        g = f">= {goal:.2f}x"
        reps = sorted({k[2] for k in se if k[0] == udc and k[1] in (num, den)})
        vals = []
        for rep in reps:
            a, b = se.get((udc, num, rep)), se.get((udc, den, rep))
            if a and b and a["highest"] and b["highest"]:
                vals.append(a["highest"] / b["highest"])
        if not vals:
            res.append([name, UDCS[udc], g, "not measured", "-", "-"])
            continue
        met = sum(1 for x in vals if x >= goal)
        ok = median(vals) >= goal
        verdict = "met" if ok else "MISSED"
        if 0 < met < len(vals):
            verdict += " (not in every repetition)" if ok else " (met in some repetitions)"
        res.append([name, UDCS[udc], g, fmt_ratios([(0, x) for x in vals]),
                    f"{met}/{len(vals)}", verdict])
    return res


def gap_text(gruns):
    """The gap-free table's heading lines and rows (rows None: no trials)."""
    rows = gap_rows(gruns)
    if not rows:
        return None, None
    hold = fmt_hold({r.get("hold") for r in gruns})
    head = (f"The highest gap-free rate: the simulated ADC in real-time mode, the highest "
            f"rate each path held for {hold} with nothing dropped, no gap of the bridge's "
            "port and its data verified (Documentation/benchmark.rst); the median (min-max) "
            "over the searches.")
    return head, rows


def write_gap_tables(gruns, d):
    """table-gapfree.txt and .rst: the gap-free table and its targets.
    Returns the text version."""
    head, rows = gap_text(gruns)
    tg = gap_targets(gruns)
    txt = (head + "\n\n" + any_table(GHEAD, rows) + "\n\nTheir ratios, with the targets':"
           "\n\n" + any_table(THEAD, tg) + "\n")
    with open(os.path.join(d, "table-gapfree.txt"), "w") as f:
        f.write(txt)
    with open(os.path.join(d, "table-gapfree.rst"), "w") as f:
        f.write(".. generated by tools/bench/report.py\n\n" + head + "\n\n"
                + any_table(GHEAD, rows, rst=True) + "\n\nTheir ratios, with the "
                "targets':\n\n" + any_table(THEAD, tg, rst=True) + "\n")
    return txt


def gap_only(gruns, d, note):
    """A run of the gap-free searches alone: their tables only."""
    txt = write_gap_tables(gruns, d)
    print(txt + ("\n" + note if note else ""))


# ---- every point ----------------------------------------------------------------

def point_inflight(runs, udc, size, streams, lane="coherent"):
    """The buffers in flight of the point a copy run belongs to (it runs with
    one): 8 where the other paths ran with 8, else the most common."""
    ns = [r.get("inflight") for r in runs
          if r.get("udc") == udc and r.get("size") == size and r.get("streams") == streams
          and r.get("lane") == lane and r.get("path") != "copy"]
    if not ns:
        return 1
    if 8 in ns:
        return 8
    return max(set(ns), key=ns.count)


def point_rows(runs, lane="coherent"):
    """Every configuration of @lane: the median (min-max) of the throughput
    and the device CPU per GiB over the repetitions, and the bridge's ratios
    to the path per repetition (at the same point)."""
    order = {p: i for i, p in enumerate(PATHS + ["capture"])}
    confs = sorted({(r["udc"], r["streams"], r["size"], r["inflight"], r["path"],
                     r.get("buffer", "udmabuf"))
                    for r in runs if r.get("lane") == lane},
                   key=lambda c: (c[0] == "none", c[0], c[1], c[2], c[3],
                                  order.get(c[4], 99), c[5]))
    rows = []
    for udc, k, size, n, path, buf in confs:
        pn = point_inflight(runs, udc, size, k, lane) if path == "copy" else n
        c = dict(udc=udc, path=path, size=size, inflight=pn, streams=k, lane=lane,
                 buffer=buf)
        s = find(runs, **c)
        b = dict(c, path="bridge")
        sp = s.get("spread", {})
        rel = path not in ("bridge", "capture") and s.get("ok")
        rows.append([
            UDCS.get(udc, udc), kib(size), n, k, path + ("" if buf == "udmabuf" else f" ({buf})"),
            f"{s.get('ok', 0)}/{s.get('n', 0)}",
            (fmt_spread(sp.get("mibps")) if sp.get("mibps") else "no steady state")
            if s.get("ok") else s.get("status", "-"),
            fmt_spread(sp.get("dev_s_per_gib"), 2) if s.get("ok") else "-",
            fmt_ratios(rep_ratios(runs, b, c)) if rel else "",
            fmt_ratios(rep_ratios(runs, b, c, "dev_s_per_gib")) if rel else "",
            verified(s),
        ])
    return rows


PHEAD = ["UDC", "size", "in flight", "streams", "path", "runs", "MiB/s (min-max)",
         "device CPU s/GiB (min-max)", "bridge/path MiB/s", "bridge/path CPU", "verified"]


def write_summary(runs, fname):
    """summary.csv: one row per configuration, the median, min and max of
    each figure over the repetitions."""
    confs = sorted({conf_key(r) for r in runs}, key=lambda c: tuple(str(x) for x in c))
    with open(fname, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["lane", "udc", "path", "size", "inflight", "streams", "buffer", "runs",
                    "ok"] + [f"{k}_{s}" for k in KEYS for s in ("median", "min", "max")])
        for lane, udc, path, size, n, k, buf in confs:
            m = [r for r in runs if conf_key(r) == (lane, udc, path, size, n, k, buf)]
            s = summary(m)
            row = [lane, udc, path, size, n, k, buf, s["n"], s["ok"]]
            for key in KEYS:
                sp = s["spread"].get(key)
                row += list(sp[:3]) if sp else ["", "", ""]
            w.writerow(row)


# ---- the plots --------------------------------------------------------------------

# one colour, dash and point type per path (Okabe-Ito colours; dash types
# of pngcairo: 1 solid, 2 dashed, 4 dash-dot, 5 dash-dot-dot; no dotted
# line, whose error bars would be too faint)
STYLE = {
    "copy": ('"#000000"', 1, 5),
    "pair": ('"#009e73"', 2, 7),
    "mixed": ('"#56b4e9"', 4, 9),
    "bridge": ('"#d55e00"', 1, 13),
    "stream": ('"#e69f00"', 3, 15),
    "sourcesink": ('"#cc79a7"', 5, 11),
}
SWEEP_KEYS = [("mibps", "MiB/s (steady state)", "throughput"),
              ("dev_s_per_gib", "device CPU s/GiB", "cpu")]


def sweep_inflight(runs, udc):
    """The buffers in flight of the size sweep: the one with most sizes."""
    by_n = {}
    for r in runs:
        if (r.get("udc") == udc and r.get("lane") == "coherent" and r.get("streams") == 1
                and r.get("path") not in ("copy", "capture")):
            by_n.setdefault(r["inflight"], set()).add(r["size"])
    if not by_n:
        return None
    return max(by_n, key=lambda n: (len(by_n[n]), n == 8, n))


def sweep_data(runs, d):
    """The plots' data files, sweep-size-UDC.dat and sweep-inflight-UDC.dat:
    x, then for each path of PATHS the median, min and max of each figure of
    SWEEP_KEYS ("-" where not measured). Returns {(kind, udc): (x label,
    in flight of the size sweep, [paths with data])}."""
    out = {}
    for udc in ["dummy", "sg"]:
        n8 = sweep_inflight(runs, udc)
        if n8 is None:
            continue
        sizes = sorted({r["size"] for r in runs if r.get("udc") == udc
                        and r.get("lane") == "coherent" and r.get("streams") == 1
                        and r.get("inflight") in (n8, 1)})
        nn = sorted({r["inflight"] for r in runs if r.get("udc") == udc
                     and r.get("lane") == "coherent" and r.get("streams") == 1
                     and r.get("size") == MIB and r.get("path") != "copy"})
        for kind, xs in (("size", sizes), ("inflight", nn)):
            if len(xs) < 2:
                continue
            have = set()
            lines = []
            for x in xs:
                vals = []
                for p in PATHS:
                    if kind == "size":
                        s = find(runs, udc, p, size=x, inflight=n8)
                    else:
                        s = None if p == "copy" else find(runs, udc, p, size=MIB, inflight=x)
                    for key, _, _ in SWEEP_KEYS:
                        sp = s.get("spread", {}).get(key) if s and s.get("ok") else None
                        if sp:
                            have.add(p)
                        vals += [str(v) for v in sp[:3]] if sp else ["-"] * 3
                lines.append(f"{x // 1024 if kind == 'size' else x} " + " ".join(vals))
            fname = os.path.join(d, f"sweep-{kind}-{udc}.dat")
            with open(fname, "w") as f:
                f.write(f"# {kind} ({'KiB' if kind == 'size' else 'buffers in flight'}), then "
                        "per path (" + " ".join(PATHS) + ") and per figure (" +
                        " ".join(k for k, _, _ in SWEEP_KEYS) + "): median min max\n")
                f.write("\n".join(lines) + "\n")
            out[(kind, udc)] = (n8, [p for p in PATHS if p in have])
    return out


def plot_script(d, data):
    """plots.gp in @d for this run's data: a PNG per sweep and figure, a
    panel per UDC, a line per path with error bars from the minimum to the
    maximum over the repetitions. Returns the PNGs it makes."""
    g = ['# generated by tools/bench/report.py: cd DIR && gnuplot plots.gp',
         'set terminal pngcairo size 1400,480 font ",10" noenhanced',
         'set datafile missing "-"', 'set grid', 'set key outside right top vertical font ",9" box',
         'set bars 2']
    pngs = []
    npaths = len(PATHS)
    for kind in ("size", "inflight"):
        udcs = [u for u in ("dummy", "sg") if (kind, u) in data]
        if not udcs:
            continue
        for ki, (key, ylabel, stem) in enumerate(SWEEP_KEYS):
            png = f"{stem}-{kind}.png"
            pngs.append(png)
            g.append(f'set output "{png}"')
            if kind == "size":
                g += ['set logscale x 4',
                      'set xtics ("4K" 4, "16K" 16, "64K" 64, "256K" 256, "1M" 1024, '
                      '"4M" 4096, "16M" 16384, "64M" 65536)',
                      'set xrange [2.8:92000]']
            else:
                g += ['set logscale x 2', 'set xtics (1, 2, 4, 8, 16, 32)',
                      'set xrange [0.8:40]']
            if key == "mibps":
                g += ['unset logscale y', 'set yrange [0:*]', 'set offsets 0, 0, graph 0.08, 0']
            else:
                g += ['set logscale y', 'set yrange [*:*]', 'set offsets 0, 0, 0, 0']
            what = "Throughput" if key == "mibps" else "Device-side CPU per GiB"
            if kind == "size":
                n8 = data[(kind, udcs[0])][0]
                title = (f"{what} against the buffer size ({n8} in flight, the copy path 1; "
                         "median, bars: min to max over the repetitions)")
                g.append(f'set xlabel "buffer size ({n8} in flight; copy: 1)"')
            else:
                title = (f"{what} against the buffers in flight (1 MiB; median, bars: min to "
                         "max over the repetitions)")
                g.append('set xlabel "buffers in flight (1 MiB each)"')
            g.append(f'set ylabel "{ylabel}"')
            g.append(f'set multiplot layout 1,{len(udcs)} title "{title}"')
            for u in udcs:
                g.append(f'set title "{UDCS[u]}"')
                series = []
                for p in data[(kind, u)][1]:
                    i = PATHS.index(p)
                    c = 2 + (i * len(SWEEP_KEYS) + ki) * 3
                    col, dt, pt = STYLE[p]
                    # each path a little apart on the x axis: bars do not overlap
                    x = f"($1*{(1.07 if kind == 'size' else 1.035) ** (i - 2):.4f})"
                    series.append(f'"sweep-{kind}-{u}.dat" using {x}:{c}:{c + 1}:{c + 2} '
                                  f'with yerrorlines lc rgb {col} dt {dt} pt {pt} ps 1.3 '
                                  f'lw {3 if p == "bridge" else 2} title "{p}"')
                g.append("plot " + ", \\\n     ".join(series))
            g.append("unset multiplot")
    assert npaths
    with open(os.path.join(d, "plots.gp"), "w") as f:
        f.write("\n".join(g) + "\n")
    return pngs


# Where a perf sample's CPU time goes. The call chain is cut at the first
# interrupt entry: what ran is the innermost context (a softirq that
# interrupted a task is that softirq's work, not the task's). Then, from the
# leaf up, the first frame of a known owner decides: the simulated hardware,
# dummy_hcd, the bridge, the upstream frameworks, io_uring; copies met on the
# way are split out for the frameworks. Samples without an owner go by
# command. cpu-clock samples (no PMU under TCG) land where interrupts come
# back on: a leaf _raw_spin_unlock_irqrestore stands for the section it ends.
OWNERS = [
    ("iub_sim_udc", "simulated SG UDC (its host side: moves, checks)"),
    ("iub_sim_", "simulated ADC (the DMA data mover)"),
    ("dummy_", "dummy_hcd (the wire: memcpy)"),
    ("iub_recv", "USB host program (libusb, usbfs, checks)"),
    ("iub_", "the bridge (iio_usb_bridge, its USB function)"),
    (("ffs_", "iio_", "dma_buf", "dma_fence", "dma_resv", "udmabuf", "usb_ep_"),
     "FunctionFS, IIO, DMABUF core"),
    (("io_uring", "io_submit", "io_issue", "io_req", "__io_", "io_cqring", "tctx_"),
     "io_uring"),
]
COPIES = ("copy_user", "_copy_to_user", "_copy_from_user", "rep_movs", "copy_page_",
          "_copy_from_iter", "_copy_to_iter", "memcpy", "__memcpy", "copy_to_user",
          "copy_from_user")
CATEGORIES = list(dict.fromkeys(name for _, name in OWNERS)) + [
    "FunctionFS, IIO, DMABUF core: copies (copy_*_user)",
    "device program (user space, other syscalls)",
    "other kernel work (interrupts, timers, scheduler, RCU...)",
    "idle", "perf itself",
]


def classify(comm, frames, irq):
    copy = False
    for x in frames:
        for prefix, name in OWNERS:
            if x.startswith(prefix):
                if copy and name.startswith("FunctionFS"):
                    return name + ": copies (copy_*_user)"
                return name
        if x.startswith(COPIES):
            copy = True
    if not irq:
        if comm.startswith("swapper"):
            return "idle" if any(x.startswith(("pv_native_safe_halt", "default_idle",
                                               "cpuidle", "do_idle")) for x in frames[:3]) \
                else "other kernel work (interrupts, timers, scheduler, RCU...)"
        if comm.startswith("iub-bench-recv"):
            return "USB host program (libusb, usbfs, checks)"
        if comm == "iub-bench":
            return "device program (user space, other syscalls)"
        if comm.startswith("perf"):
            return "perf itself"
    return "other kernel work (interrupts, timers, scheduler, RCU...)"


def perf_samples(path):
    """(comm, innermost frames leaf first, in interrupt) for each sample."""
    def done(comm, frames):
        for i, x in enumerate(frames):
            if x.startswith(("asm_sysvec_", "asm_common_interrupt", "asm_irq")):
                return comm, frames[:i], True
        return comm, frames, False
    comm, frames = None, []
    with gzip.open(path, "rt", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            if line.startswith("\t"):
                parts = line.strip().split(" ", 1)
                if len(parts) == 2:
                    frames.append(parts[1].split("+")[0].strip())
                continue
            if comm is not None:
                yield done(comm, frames)
            comm, frames = line.strip(), []
    if comm is not None:
        yield done(comm, frames)


def profile_breakdown(d):
    out = []
    for path in sorted(glob.glob(os.path.join(d, "profile-*.script.gz"))):
        tag = os.path.basename(path)[len("profile-"):-len(".script.gz")]
        counts = {}
        for comm, frames, irq in perf_samples(path):
            name = classify(comm, frames, irq)
            counts[name] = counts.get(name, 0) + 1
        busy = sum(v for k, v in counts.items() if k not in ("idle", "perf itself"))
        if not busy:
            continue
        out.append(f"{tag}: {busy} busy samples (499 Hz, both CPUs), shares of the busy time:")
        for name in CATEGORIES:
            if name in ("idle", "perf itself") or not counts.get(name):
                continue
            out.append(f"  {100 * counts[name] / busy:5.1f}%  {name}")
        out.append("")
    return out


def trace_stages(path, inflight):
    """Per-route stage times of the bridge from its tracepoints."""
    import re
    import statistics as st
    ev = {}
    for line in open(path, errors="replace"):
        m = re.search(r"\s(\d+\.\d+): iub_xfer_(\w+): port=(\d+)", line)
        if m:
            ev.setdefault(int(m.group(3)), {}).setdefault(m.group(2), []).append(float(m.group(1)))
    if len(ev) != 2:
        return []
    a, b = sorted(ev, key=lambda p: ev[p]["submit"][0])	# the ADC's stage is queued first
    A, B = ev[a], ev[b]
    n = min(len(A.get("complete", [])), len(B.get("complete", [])), len(B.get("start", [])),
            len(A.get("start", [])))
    if n < inflight + 2:
        return []

    def row(name, xs):
        xs = [x * 1e6 for x in xs]
        return f"  {name:46s} median {st.median(xs):8.0f} us, mean {st.mean(xs):8.0f} us"
    span = B["complete"][n - 1] - B["complete"][0]
    return [
        row("ADC stage: submitted -> started", [A["start"][i] - A["submit"][i] for i in range(n)]),
        row("ADC stage: started -> done", [A["complete"][i] - A["start"][i] for i in range(n)]),
        row("USB stage: ADC done -> USB started", [B["start"][i] - A["complete"][i] for i in range(n)]),
        row("USB stage: started -> done", [B["complete"][i] - B["start"][i] for i in range(n)]),
        row("route done -> buffer resubmitted (CQE, app)",
            [A["submit"][i + inflight] - B["complete"][i] for i in range(n - inflight)]),
        f"  {n} routes, {(n - 1) / span:.0f} routes/s with the tracepoints on",
    ]


def strace_check(d):
    out = []
    try:
        sruns = load(os.path.join(d, "strace-runs.jsonl"))
    except OSError:
        return out
    for p in ["pair", "mixed", "bridge"]:
        r = next((x for x in sruns if x.get("path") == p and x.get("status") == "ok"), None)
        try:
            txt = open(os.path.join(d, f"strace-{p}.txt")).read()
        except OSError:
            continue
        if not r:
            continue
        gib = (r.get("bytes") or 0) / GIB
        if not gib:
            continue
        calls = {}
        for line in txt.splitlines():
            f = line.split()
            # % time, seconds, usecs/call, calls, [errors], syscall
            if len(f) >= 5 and f[0][0].isdigit() and f[3].isdigit():
                calls[f[-1]] = int(f[3])
        counted = ("read", "write", "ioctl", "poll", "io_uring_enter")
        mine = {k: r.get(f"sc_{k}", 0) for k in counted}
        theirs = {k: calls.get(k, 0) for k in counted}
        out.append(f"  {p:7s} iub-bench: " + ", ".join(
            f"{k} {v / gib:.0f}" for k, v in mine.items() if v) +
            f" per GiB (total {sum(mine.values()) / gib:.0f})")
        out.append("          strace -c: " + ", ".join(
            f"{k} {v / gib:.0f}" for k, v in theirs.items() if v) +
            f" per GiB (all syscalls {sum(v for k, v in calls.items() if k != 'total') / gib:.0f}:"
            " also teardown and the /proc reads)")
    return out


def cpu_budget(runs):
    """Device-side CPU/GiB of each path next to the simulated ADC's own
    (capture) and f_sourcesink's: a rough split, the profiles are finer."""
    cap = find(runs, "none", "capture")
    if not cap or cap.get("status") != "ok":
        return []
    out = [f"simulated ADC alone (capture, no USB): {cap['dev_s_per_gib']:.2f} CPU s/GiB", ""]
    for udc in ["dummy", "sg"]:
        ss = find(runs, udc, "sourcesink")
        out.append(f"{UDCS[udc]}, device side (the guest minus the USB host program), CPU s/GiB:")
        if ss and ss.get("status") == "ok":
            out.append(f"  {'f_sourcesink':12s} {ss['dev_s_per_gib']:6.2f}  (no ADC, no copy: the "
                       "UDC and its host)")
        for p in ["copy", "pair", "mixed", "bridge"]:
            r = find(runs, udc, p)
            if not r or r.get("status") != "ok":
                continue
            out.append(f"  {p:12s} {r['dev_s_per_gib']:6.2f}  of which not the simulated ADC: "
                       f"{r['dev_s_per_gib'] - cap['dev_s_per_gib']:6.2f}")
        out.append("")
    return out


# ---- the arm64 plan -------------------------------------------------------------

AHEAD = ["size", "path", "buffer", "MiB/s (min-max)", "vs pair", "vs copy",
         "device CPU s/GiB", "vs pair", "vs copy", "verified"]
BUFFERS = ["udmabuf", "hugetlb", "heap"]


def arm64_rows(runs):
    """The arm64 plan's table: each size, the copy path, then the upstream
    pair and the bridge from each buffer source: medians (min-max) over the
    repetitions, and the ratios to the pair of the same buffers and to the
    copy path taken per repetition."""
    rows = []
    for size in (4096, MIB, 64 * MIB):
        cc = dict(udc="sg", path="copy", size=size, inflight=1, streams=1)
        copy = find(runs, **cc)
        if copy:
            ok = copy.get("ok")
            rows.append([kib(size), "copy", "-",
                         fmt_spread(copy["spread"].get("mibps")) if ok else "-",
                         "-", "1.00x",
                         fmt_spread(copy["spread"].get("dev_s_per_gib"), 2) if ok else "-",
                         "-", "1.00x", verified(copy)])
        for buf in BUFFERS:
            pc = dict(udc="sg", path="pair", size=size, inflight=4, streams=1, buffer=buf)
            for p in ("pair", "bridge"):
                c = dict(pc, path=p)
                r = find(runs, **c)
                if not r:
                    continue
                ok = r.get("ok")
                sp = r.get("spread", {})
                rows.append([
                    kib(size), NAMES[p].split(":")[0] if p == "bridge" else "upstream pair",
                    buf, fmt_spread(sp.get("mibps")) if ok else r.get("status", "-"),
                    fmt_ratios(rep_ratios(runs, c, pc)) if p == "bridge" else "1.00x",
                    fmt_ratios(rep_ratios(runs, c, cc)),
                    fmt_spread(sp.get("dev_s_per_gib"), 2) if ok else "-",
                    fmt_ratios(rep_ratios(runs, c, pc, "dev_s_per_gib"))
                    if p == "bridge" else "1.00x",
                    fmt_ratios(rep_ratios(runs, c, cc, "dev_s_per_gib")),
                    verified(r),
                ])
    return rows


def cache_time(d):
    """What the kernel spent in cache maintenance during one 64 MiB run of a
    path (bench-guest.sh's cache-time.txt), per GiB and as a share of the
    run's device-side CPU time."""
    path = os.path.join(d, "cache-time.txt")
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            kv, _, run = line.strip().partition(" run=")
            f_ = dict(x.split("=", 1) for x in kv.split() if "=" in x)
            if "sync_us" not in f_:
                out.append("  " + line.strip())
                continue
            try:
                r = json.loads(run)
            except json.JSONDecodeError:
                r = {}
            derive(r)
            gib = r.get("gib") or 0
            dev = r.get("dev_s_per_gib")
            sync = int(f_["sync_us"]) / 1e6 / gib if gib else None
            share = f"{100 * sync / dev:.0f}% of the device CPU" if sync and dev else "-"
            out.append(f"  {f_['path']:7s} {f_['buffer']:8s} cache maintenance "
                       f"{fmt(sync, 2)} s/GiB in {f_['sync_calls']} calls "
                       f"({share}: {fmt(dev, 2)} s/GiB), {fmt(r.get('mibps'))} MiB/s"
                       + (f", {f_['lost_events']} trace events lost"
                          if f_.get("lost_events", "0") != "0" else ""))
    return out


def arm64_report(runs, d, command, note):
    rows = arm64_rows(runs)
    ct = cache_time(d)
    nrep = max((r.get("rep", 1) for r in runs), default=0)
    txt = ["The arm64 lane: simulated SG UDC, non-coherent devices, 4 in flight "
           f"(copy: 1), median (min-max) over {nrep} repetitions, ratios per repetition", "",
           any_table(AHEAD, rows)]
    if ct:
        txt += ["", "Cache maintenance (arch_sync_dma_for_device/_cpu, function-graph "
                "tracer) during one 64 MiB run", ""] + ct
    if note:
        txt += ["", note]
    with open(os.path.join(d, "table-arm64.txt"), "w") as f:
        f.write("\n".join(txt) + "\n")
    with open(os.path.join(d, "table-arm64.rst"), "w") as f:
        f.write(".. generated by tools/bench/report.py\n\n")
        f.write("The simulated SG UDC with non-coherent simulated devices, 4 buffers "
                f"in flight (the copy\npath: 1), the median (min-max) over {nrep} "
                "repetitions; the ratios taken per\nrepetition, then their median "
                "(min-max):\n\n")
        f.write(any_table(AHEAD, rows, rst=True) + "\n")
        if ct:
            f.write("\nCache maintenance (``arch_sync_dma_for_device/_cpu``, "
                    "function-graph tracer) during\none 64 MiB run of each path::\n\n")
            f.write("\n".join("   " + x.strip() for x in ct) + "\n")
    print("\n".join(txt))


# ---- the libiio rows (tools/bench/run.sh --libiio) ------------------------------

LDAEMONS = {"iiod": "stock iiod 0.24 (FunctionFS)", "iub-iiod": "the bridge: iub-iiod"}
LHEAD = ["samples", "buffer", "daemon", "MiB/s", "stream MiB/s", "first byte s",
         "guest CPU s/GiB", "device CPU s/GiB", "daemon CPU s/GiB", "host CPU s/GiB", "runs",
         "data"]


def median_upper(v):
    """libiio rows: of an even number, the upper middle one"""
    v = sorted(v)
    return v[len(v) // 2] if v else None


def med_range(v, nd):
    """median (min-max) of a list; of an even number, the upper middle one"""
    v = [x for x in v if x is not None]
    if not v:
        return "-", None
    m = median_upper(v)
    if len(v) == 1 or min(v) == max(v):
        return fmt(m, nd), m
    return f"{fmt(m, nd)} ({fmt(min(v), nd)}-{fmt(max(v), nd)})", m


def libiio_summary(runs, daemon, samples):
    """The runs of one daemon and buffer size: medians, ranges, verdicts."""
    m = [r for r in runs if r.get("path") == daemon and r.get("samples") == samples]
    if not m:
        return None
    ok = [r for r in m if r.get("status") == "ok" and r.get("verified")]
    s = {"n": len(m), "ok": len(ok), "runs": m}
    s["rate"], s["mibps"] = med_range([r["mibps"] for r in ok], 2)
    s["stream"], s["mibps_stream"] = med_range([r.get("mibps_stream") for r in ok], 2)
    s["first"], _ = med_range([r.get("first_byte_s") for r in ok], 2)
    s["host"], _ = med_range([r.get("host_s_per_gib") for r in ok], 1)
    s["busy"], s["cpu_s_per_gib"] = med_range([r.get("cpu_s_per_gib") for r in ok], 1)
    s["dev"], s["dev_s_per_gib"] = med_range([r.get("dev_s_per_gib") for r in ok], 1)
    s["app"], _ = med_range([r.get("app_s_per_gib") for r in ok], 1)
    if ok and len(ok) == len(m):
        s["data"] = "yes"
    elif ok:
        s["data"] = f"yes ({len(m) - len(ok)} of {len(m)} runs failed)"
    else:
        errs = sorted({r.get("status") + ": " + (r.get("error") or "") for r in m})
        s["data"] = "; ".join(errs)
    return s


def libiio_rows(runs):
    sizes = sorted({r["samples"] for r in runs if r.get("samples")})
    rows, ratios = [], []
    for n in sizes:
        got = {}
        for d in LDAEMONS:
            s = libiio_summary(runs, d, n)
            got[d] = s
            if s is None:
                continue
            if s["ok"]:
                rows.append([n, kib(n * 8), LDAEMONS[d], s["rate"], s["stream"], s["first"],
                             s["busy"], s["dev"], s["app"], s["host"], f"{s['ok']}/{s['n']}", s["data"]])
            else:
                rows.append([n, kib(n * 8), LDAEMONS[d], "-", "-", "-", "-", "-", "-", "-",
                             f"0/{s['n']}", s["data"]])
        i, b = got.get("iiod"), got.get("iub-iiod")
        if i and b and i["ok"] and b["ok"]:
            tr = b["mibps"] / i["mibps"] if i["mibps"] else None
            cr = (b["dev_s_per_gib"] / i["dev_s_per_gib"]
                  if i["dev_s_per_gib"] and b["dev_s_per_gib"] is not None else None)
            sr = (b["mibps_stream"] / i["mibps_stream"]
                  if i.get("mibps_stream") and b.get("mibps_stream") else None)
            gr = (b["cpu_s_per_gib"] / i["cpu_s_per_gib"]
                  if i.get("cpu_s_per_gib") and b.get("cpu_s_per_gib") else None)
            ratios.append([n, fmt(tr, 2) + "x" if tr else "-", fmt(sr, 2) + "x" if sr else "-",
                           fmt(cr, 2) + "x" if cr else "-", fmt(gr, 2) + "x" if gr else "-",
                           verdict(n, tr, cr)])
        else:
            why = ("the bridge daemon: not available" if not b or not b["ok"]
                   else "stock iiod: no verified run")
            ratios.append([n, "not measured", "not measured", "not measured", "not measured",
                           (why if n >= 65536 else "no target below 64 Ki samples; " + why)])
    return rows, ratios


def verdict(n, tr, cr):
    if n < 65536:
        return "no target below 64 Ki samples"
    ok_t = tr is not None and tr >= 2
    ok_c = cr is not None and cr <= 0.5
    goals = (("throughput >= 2x", ok_t), ("CPU <= 0.5x", ok_c))
    met = [x for x, ok in goals if ok]
    missed = [x for x, ok in goals if not ok]
    if not missed:
        return "meets both"
    return "; ".join(([f"meets {', '.join(met)}"] if met else []) +
                     [f"misses {', '.join(missed)}"])


RHEAD = ["samples", "throughput iub-iiod / iiod", "stream", "device CPU per GiB iub-iiod / iiod",
         "guest CPU per GiB",
         "targets (>= 2x, <= 0.5x at >= 64 Ki samples)"]


def libiio_report(runs, d, command, note):
    rows, ratios = libiio_rows(runs)
    intro = ("Debian's iio_readdev -u usb:... -b SAMPLES -s TOTAL (two 32-bit channels, 8 bytes a "
             "sample) on the USB host side of dummy_hcd; median (min-max) of the runs")
    txt = [intro, "", any_table(LHEAD, rows), "", "Ratios (medians)", "",
           any_table(RHEAD, ratios)]
    if note:
        txt += ["", note]
    with open(os.path.join(d, "table-libiio.txt"), "w") as f:
        f.write("\n".join(txt) + "\n")
    with open(os.path.join(d, "table-libiio.rst"), "w") as f:
        f.write(".. generated by tools/bench/report.py\n\n")
        f.write(any_table(LHEAD, rows, rst=True) + "\n\n")
        f.write("The ratios of the medians:\n\n")
        f.write(any_table(RHEAD, ratios, rst=True) + "\n")
    print("\n".join(txt))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--command", default="tools/bench/run.sh")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    runs = []
    for lane, fname in (("coherent", "results.jsonl"), ("bounced", "results-bounced.jsonl")):
        try:
            runs += load(os.path.join(a.dir, fname), lane)
        except FileNotFoundError:
            pass
    gruns = load_gapfree(os.path.join(a.dir, "gapfree.jsonl"))
    if not runs and not gruns:
        sys.exit("report: no results")
    try:
        with open(os.path.join(a.dir, "plan.txt")) as f:
            plan = f.readline().strip()
    except FileNotFoundError:
        plan = "coherent"

    keys = []
    for r in runs:
        keys += [k for k in r if k not in keys]
    with open(os.path.join(a.dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in runs:
            w.writerow(r)
    with open(os.path.join(a.dir, "results.json"), "w") as f:
        json.dump({"command": a.command, "note": a.note, "runs": runs}, f, indent=1)
    if plan == "arm64":
        arm64_report(runs, a.dir, a.command, a.note)
        return
    if plan == "libiio":
        libiio_report(runs, a.dir, a.command, a.note)
        return

    if not runs:
        gap_only(gruns, a.dir, a.note)
        return

    none = [["not measured"] + [""] * (len(HEAD) - 1)]
    t1 = table_rows(runs, 1) or none
    t2 = table_rows(runs, 2) or none
    tg = targets(runs) + gap_targets(gruns)
    ghead, grows = gap_text(gruns)
    pr = point_rows(runs)
    nrep = max((r.get("rep", 1) for r in runs if r.get("lane") == "coherent"), default=0)
    how = (f"{nrep} repetitions, the paths of a point interleaved in each; figures: median "
           "(min-max) over the repetitions; ratios (vs ...): taken per repetition, between "
           "the runs of the same repetition, then their median (min-max)")
    txt = [how, "", "One stream, 1 MiB buffers, 8 in flight (copy: 1)", "", text_table(t1), "",
           "Two concurrent streams (two ADCs, two bulk IN endpoints), same settings",
           "", text_table(t2), ""]
    if grows:
        txt += [ghead, "", any_table(GHEAD, grows), ""]
        write_gap_tables(gruns, a.dir)
    txt += ["Targets (the verdict is the median ratio's)", "", any_table(THEAD, tg)]
    brows = bounced_rows(runs)
    cost = sync_cost(runs, a.dir)
    if brows:
        txt += ["", "The bounced lane (swiotlb=force: every DMA mapping bounced), each next to "
                "the coherent", "lane's run of the same path, UDC, size and buffers in flight", "",
                any_table(BHEAD, brows)]
    txt += [""] + cost
    txt += ["", "Every point (the sweeps): per path the median (min-max) over the repetitions, "
            "the bridge's", "ratios to the path per repetition", "", any_table(PHEAD, pr)]
    if a.note:
        txt += ["", a.note]
    with open(os.path.join(a.dir, "table.txt"), "w") as f:
        f.write("\n".join(txt) + "\n")

    with open(os.path.join(a.dir, "table.rst"), "w") as f:
        f.write(".. generated by tools/bench/report.py\n\n")
        f.write(f"{nrep} repetitions, the paths of each point interleaved in each of them. "
                "Figures: the median\nand, in brackets, the minimum and maximum over the "
                "repetitions. Ratios (\"vs copy\",\nthe targets, \"bridge/path\"): one per "
                "repetition, between the two runs of that\nrepetition, then their median "
                "(min-max).\n\n")
        f.write("One stream, 1 MiB buffers, 8 in flight (the copy path: 1):\n\n")
        f.write(rst_table(t1) + "\n\n")
        f.write("Two concurrent streams (two ADCs, two bulk IN endpoints):\n\n")
        f.write(rst_table(t2) + "\n\n")
        f.write("The targets (the verdict is the median ratio's):\n\n")
        f.write(any_table(THEAD, tg, rst=True) + "\n")
        if brows:
            f.write("\nThe bounced lane (``swiotlb=force``: every DMA mapping bounced), each "
                    "row after the coherent\nlane's run of the same path, UDC, size and buffers "
                    "in flight:\n\n")
            f.write(any_table(BHEAD, brows, rst=True) + "\n")
        f.write("\n" + " ".join(x.strip() for x in cost[:3]) + "\n")
        if len(cost) > 3:
            f.write("\n::\n\n" + "\n".join("   " + x for x in cost[3:]) + "\n")
        f.write("\nEvery point of the run (the sweeps), with the bridge's ratios to each "
                "path at the same\npoint, per repetition:\n\n")
        f.write(any_table(PHEAD, pr, rst=True) + "\n")

    write_summary(runs, os.path.join(a.dir, "summary.csv"))
    pngs = plot_script(a.dir, sweep_data(runs, a.dir))
    with open(os.path.join(a.dir, "plots.txt"), "w") as f:
        f.write("".join(p + "\n" for p in pngs))

    prof = ["CPU budget per GiB (device side: the guest's CPU minus the USB host program)", ""]
    prof += cpu_budget(runs)
    pb = profile_breakdown(a.dir)
    if pb:
        prof += ["Where the CPU time goes (perf, cpu-clock, call chains)", ""] + pb
    for size in (4096, MIB):
        t = os.path.join(a.dir, f"trace-bridge-{size}.txt")
        if os.path.exists(t):
            st = trace_stages(t, 4)
            if st:
                prof += [f"The bridge's stages, {size // 1024} KiB buffers, 4 in flight "
                         "(dummy_hcd, tracepoints iio_usb_bridge:iub_xfer_*)"] + st + [""]
    sc = strace_check(a.dir)
    if sc:
        prof += ["Syscalls per GiB on the SG UDC, 1 MiB x 8: iub-bench's own count against",
                 "strace -c -f attached before the measurement. Separate runs: under strace",
                 "they are slower, and io_uring_enter reaps more CQEs per call.", ""]
        prof += sc + [""]
    with open(os.path.join(a.dir, "profile.txt"), "w") as f:
        f.write("\n".join(prof) + "\n")
    print("\n".join(txt))
    print()
    print("\n".join(prof))


if __name__ == "__main__":
    main()
