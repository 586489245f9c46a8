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
    table.txt, table.rst        the main table, two streams, the targets,
                        the bounced lane's rows next to the coherent rows
                        of the same path and size, the bridge's sync cost
    size-dummy.dat, size-sg.dat, inflight.dat, cpu-size.dat   for plots.gp
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
PATHS = ["copy", "pair", "mixed", "bridge", "sourcesink"]
NAMES = {
    "copy": "copy: read() IIO + write() FunctionFS",
    "pair": "upstream DMABUF pair (IIO + FunctionFS)",
    "mixed": "mixed: IIO DMABUF + write() of the map",
    "bridge": "the bridge: io_uring routes",
    "sourcesink": "ceiling: f_sourcesink bulk IN",
    "capture": "simulated ADC alone (no USB)",
}
UDCS = {"dummy": "dummy_hcd", "sg": "sim SG UDC", "none": "-"}
LANES = ["coherent", "bounced"]


def load(path, lane="coherent"):
    """The runs of a results file; lines without "lane" are @lane's."""
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
    for r in runs:
        r.setdefault("lane", lane)
        derive(r)
    return runs


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


def find(runs, udc, path, size=MIB, inflight=None, streams=1, lane="coherent",
         buffer="udmabuf"):
    """The run of a configuration; of several (the table is run three times),
    the one with the median throughput (of an even number, the upper of the
    two middle ones: a run starved by the shared host is slow, never fast),
    with the range of all in "range". Of the coherent lane unless asked."""
    if inflight is None:
        inflight = 1 if path == "copy" else 8
    m = [r for r in runs
         if (r.get("udc") == udc and r.get("path") == path and r.get("size") == size
             and r.get("inflight") == inflight and r.get("streams") == streams
             and r.get("lane", "coherent") == lane
             and r.get("buffer", "udmabuf") == buffer)]
    if not m:
        return None
    ok = sorted((r for r in m if r.get("status") == "ok"), key=lambda r: r["mibps"])
    if not ok:
        return m[0]
    r = dict(ok[len(ok) // 2])
    r["range"] = (ok[0]["mibps"], ok[-1]["mibps"]) if len(ok) > 1 else None
    r["all_verified"] = all(x.get("verified") is not False for x in m)
    if any(x.get("status") != "ok" for x in m):
        r["all_verified"] = False
    return r


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
        return "NO (a repetition)"
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
        out.append("as the bridge's bytes per device CPU-second (one run each: indicative):")
        out += pairs
        if any(p.rsplit(" ", 1)[-1] < "1" for p in pairs):
            out.append("  (a ratio below 1 is the shared host's noise between the two boots: "
                       "bouncing only adds work)")
    return out


def table_rows(runs, streams):
    rows = []
    for udc in ["dummy", "sg"]:
        copy = find(runs, udc, "copy", streams=streams)
        for p in PATHS:
            r = find(runs, udc, p, streams=streams)
            ok = r is not None and r.get("status") == "ok"
            g = (lambda k: r.get(k) if ok else None)
            rows.append([
                NAMES[p], UDCS[udc],
                fmt_rate(r) if ok else "-",
                ratio(g("mibps"), copy and copy.get("mibps")) if p != "copy" else "1.00x",
                fmt(g("cpu_s_per_gib"), 2),
                fmt(g("dev_s_per_gib"), 2),
                ratio(g("dev_s_per_gib"), copy and copy.get("dev_s_per_gib"))
                if p != "copy" else "1.00x",
                fmt(g("host_s_per_gib"), 2),
                fmt(g("syscalls_per_gib"), 0) if p != "sourcesink" else "-",
                verified(r),
            ])
    cap = find(runs, "none", "capture", streams=streams)
    if cap and cap.get("status") == "ok":
        rows.append([NAMES["capture"], "-", fmt_rate(cap), "-",
                     fmt(cap["cpu_s_per_gib"], 2), fmt(cap["dev_s_per_gib"], 2),
                     "-", "-", fmt(cap["syscalls_per_gib"], 0), "n/a"])
    return rows


HEAD = ["path", "UDC", "MiB/s (range)", "vs copy", "guest CPU s/GiB",
        "device CPU s/GiB", "vs copy", "host CPU s/GiB", "syscalls/GiB",
        "verified"]


def text_table(rows):
    w = [max(len(str(x)) for x in col) for col in zip(HEAD, *rows)]
    out = ["  ".join(h.ljust(w[i]) for i, h in enumerate(HEAD))]
    out.append("  ".join("-" * x for x in w))
    for r in rows:
        out.append("  ".join(str(x).ljust(w[i]) for i, x in enumerate(r)))
    return "\n".join(out)


def rst_table(rows):
    w = [max(len(str(x)) for x in col) for col in zip(HEAD, *rows)]
    sep = " ".join("=" * x for x in w)
    out = [sep, " ".join(h.ljust(w[i]) for i, h in enumerate(HEAD)), sep]
    for r in rows:
        out.append(" ".join(str(x).ljust(w[i]) for i, x in enumerate(r)))
    out.append(sep)
    return "\n".join(out)


def targets(runs):
    """(target, UDC, measured, verdict) for each target of issue 7."""
    res = []
    for udc in ["dummy", "sg"]:
        u = UDCS[udc]
        b = find(runs, udc, "bridge")
        c = find(runs, udc, "copy")
        s = find(runs, udc, "sourcesink")
        ups = [r for r in (find(runs, udc, "pair"), find(runs, udc, "mixed"))
               if r and r.get("status") == "ok"]
        best = max(ups, key=lambda r: r["mibps"]) if ups else None
        b64 = find(runs, udc, "bridge", size=64 * MIB, inflight=4)
        b1 = find(runs, udc, "bridge", size=MIB, inflight=4)

        def ok(r):
            return r is not None and r.get("status") == "ok"

        def add(name, num, den, goal, better_high=True, what=""):
            if num is None or den is None or not den:
                res.append((name, u, "not measured", "-"))
                return
            v = num / den
            met = v >= goal if better_high else v <= goal
            res.append((name, u, f"{v:.2f}{what}", "met" if met else "MISSED"))
        if ok(b) and ok(c):
            add("bridge >= 2.5x copy path throughput", b["mibps"], c["mibps"], 2.5,
                what="x")
            add("bridge <= 0.3x copy path device CPU/GiB", b["dev_s_per_gib"],
                c["dev_s_per_gib"], 0.3, better_high=False, what="x")
            add("  (whole guest CPU/GiB, host side included)", b["cpu_s_per_gib"],
                c["cpu_s_per_gib"], 0.3, better_high=False, what="x")
        if ok(b) and ok(s):
            add("bridge >= 90% of f_sourcesink", b["mibps"], s["mibps"], 0.9,
                what="x")
        if ok(b) and best:
            add(f"bridge >= 1.2x best upstream DMABUF path ({best['path']})",
                b["mibps"], best["mibps"], 1.2, what="x")
        elif ok(b):
            res.append(("bridge >= 1.2x best upstream DMABUF path", u,
                        "no upstream DMABUF path ran", "-"))
        if ok(b64) and ok(b1):
            add("bridge at 64 MiB >= 95% of 1 MiB (4 in flight)", b64["mibps"],
                b1["mibps"], 0.95, what="x")
    return res


def sweep_dat(runs, udc, key, fname, streams=1):
    """Throughput (or another key) against the buffer size, one column per path."""
    sizes = sorted({r["size"] for r in runs
                    if r.get("udc") == udc and r.get("lane") == "coherent"})
    with open(fname, "w") as f:
        f.write("# size_kib " + " ".join(PATHS) + f"  ({key}, {udc})\n")
        for sz in sizes:
            vals = []
            for p in PATHS:
                inflight = 1 if p == "copy" else 4
                r = find(runs, udc, p, size=sz, inflight=inflight, streams=streams)
                v = r.get(key) if r and r.get("status") == "ok" else None
                vals.append("-" if v is None else str(v))
            f.write(f"{sz // 1024} " + " ".join(vals) + "\n")


def inflight_dat(runs, fname):
    cols = [("sg", "pair"), ("dummy", "mixed"), ("sg", "mixed"), ("dummy", "bridge"),
            ("sg", "bridge"), ("dummy", "sourcesink"), ("sg", "sourcesink")]
    with open(fname, "w") as f:
        f.write("# inflight " + " ".join(f"{u}-{p}" for u, p in cols) + " (MiB/s, 1 MiB)\n")
        for n in [1, 2, 4, 8, 16]:
            vals = []
            for u, p in cols:
                r = find(runs, u, p, size=MIB, inflight=n)
                vals.append(str(r["mibps"]) if r and r.get("status") == "ok" else "-")
            f.write(f"{n} " + " ".join(vals) + "\n")


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

AHEAD = ["size", "path", "buffer", "MiB/s (range)", "vs pair", "vs copy",
         "device CPU s/GiB", "vs pair", "vs copy", "verified"]
BUFFERS = ["udmabuf", "hugetlb", "heap"]


def arm64_rows(runs):
    """The arm64 plan's table: each size, the copy path, then the upstream
    pair and the bridge from each buffer source, with the bridge's ratios
    to the pair of the same buffers and to the copy path."""
    rows = []
    for size in (4096, MIB, 64 * MIB):
        copy = find(runs, "sg", "copy", size, 1)
        cg = (lambda k: copy.get(k) if copy and copy.get("status") == "ok" else None)
        if copy:
            rows.append([kib(size), "copy", "-", fmt_rate(copy) if cg("mibps") else "-",
                         "-", "1.00x", fmt(cg("dev_s_per_gib"), 2), "-", "1.00x",
                         verified(copy)])
        for buf in BUFFERS:
            pair = find(runs, "sg", "pair", size, 4, buffer=buf)
            for p in ("pair", "bridge"):
                r = find(runs, "sg", p, size, 4, buffer=buf)
                if not r:
                    continue
                ok = r.get("status") == "ok"
                g = (lambda k: r.get(k) if ok else None)
                pg = (lambda k: pair.get(k) if pair and pair.get("status") == "ok" else None)
                rows.append([
                    kib(size), NAMES[p].split(":")[0] if p == "bridge" else "upstream pair",
                    buf, fmt_rate(r) if ok else r.get("status", "-"),
                    ratio(g("mibps"), pg("mibps")) if p == "bridge" else "1.00x",
                    ratio(g("mibps"), cg("mibps")),
                    fmt(g("dev_s_per_gib"), 2),
                    ratio(g("dev_s_per_gib"), pg("dev_s_per_gib")) if p == "bridge" else "1.00x",
                    ratio(g("dev_s_per_gib"), cg("dev_s_per_gib")),
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
    txt = ["The arm64 lane: simulated SG UDC, non-coherent devices, 4 in flight "
           "(copy: 1), medians of three", "", any_table(AHEAD, rows)]
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
                "in flight (the copy\npath: 1), the median of three runs with their "
                "range:\n\n")
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


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else None


def med_range(v, nd):
    """median (min-max) of a list; of an even number, the upper middle one"""
    v = [x for x in v if x is not None]
    if not v:
        return "-", None
    m = median(v)
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
    if not runs:
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

    t1 = table_rows(runs, 1)
    t2 = table_rows(runs, 2)
    tg = targets(runs)
    txt = ["One stream, 1 MiB buffers, 8 in flight (copy: 1)", "", text_table(t1), "",
           "Two concurrent streams (two ADCs, two bulk IN endpoints), same settings",
           "", text_table(t2), "", "Targets (issue 7)", ""]
    tw = max((len(t[0]) for t in tg), default=10)
    for name, udc, val, verdict in tg:
        txt.append(f"{name.ljust(tw)}  {udc.ljust(10)}  {val.ljust(14)}  {verdict}")
    brows = bounced_rows(runs)
    cost = sync_cost(runs, a.dir)
    if brows:
        txt += ["", "The bounced lane (swiotlb=force: every DMA mapping bounced), each next to "
                "the coherent", "lane's run of the same path, UDC, size and buffers in flight", "",
                any_table(BHEAD, brows)]
    txt += [""] + cost
    if a.note:
        txt += ["", a.note]
    with open(os.path.join(a.dir, "table.txt"), "w") as f:
        f.write("\n".join(txt) + "\n")

    trows = [[n, u, v, d] for n, u, v, d in tg]
    thead = ["target", "UDC", "measured", "verdict"]
    w = [max(len(str(x)) for x in col) for col in zip(thead, *trows)]
    sep = " ".join("=" * x for x in w)
    trst = [sep, " ".join(h.ljust(w[i]) for i, h in enumerate(thead)), sep]
    trst += [" ".join(str(x).ljust(w[i]) for i, x in enumerate(r)) for r in trows]
    trst.append(sep)
    with open(os.path.join(a.dir, "table.rst"), "w") as f:
        f.write(".. generated by tools/bench/report.py\n\n")
        f.write("One stream, 1 MiB buffers, 8 in flight (the copy path: 1):\n\n")
        f.write(rst_table(t1) + "\n\n")
        f.write("Two concurrent streams (two ADCs, two bulk IN endpoints):\n\n")
        f.write(rst_table(t2) + "\n\n")
        f.write("The targets of issue 7:\n\n")
        f.write("\n".join(trst) + "\n")
        if brows:
            f.write("\nThe bounced lane (``swiotlb=force``: every DMA mapping bounced), each "
                    "row after the coherent\nlane's run of the same path, UDC, size and buffers "
                    "in flight:\n\n")
            f.write(any_table(BHEAD, brows, rst=True) + "\n")
        f.write("\n" + " ".join(x.strip() for x in cost[:3]) + "\n")
        if len(cost) > 3:
            f.write("\n::\n\n" + "\n".join("   " + x for x in cost[3:]) + "\n")

    for udc in ["dummy", "sg"]:
        sweep_dat(runs, udc, "mibps", os.path.join(a.dir, f"size-{udc}.dat"))
        sweep_dat(runs, udc, "dev_s_per_gib", os.path.join(a.dir, f"cpu-size-{udc}.dat"))
    inflight_dat(runs, os.path.join(a.dir, "inflight.dat"))

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
