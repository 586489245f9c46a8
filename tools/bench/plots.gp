# SPDX-License-Identifier: GPL-2.0
# The benchmark's plots (Documentation/benchmark.rst), from the .dat files
# tools/bench/report.py writes:   gnuplot -e "dir='DIR'" tools/bench/plots.gp
if (!exists("dir")) dir = "."
set datafile missing "-"
set terminal png size 960,380 font ",9" noenhanced
set grid
set key top left font ",8"
set logscale x 4
set xtics ("4K" 4, "16K" 16, "64K" 64, "256K" 256, "1M" 1024, "4M" 4096, "16M" 16384, "64M" 65536)
set xrange [3:90000]
set xlabel "buffer size (4 in flight; copy: 1)"
titles = "copy pair mixed bridge f_sourcesink"
styles = "1 2 3 4 5"

set output dir."/throughput-size.png"
set multiplot layout 1,2 title "Throughput against the buffer size (one stream)"
set ylabel "MiB/s (steady state, host side)"
set title "dummy_hcd"
plot for [i=2:6] dir."/size-dummy.dat" using 1:i with linespoints lw 2 title word(titles, i-1)
set title "simulated SG UDC"
set ylabel "MiB/s (steady state, device side)"
plot for [i=2:6] dir."/size-sg.dat" using 1:i with linespoints lw 2 title word(titles, i-1)
unset multiplot

set output dir."/cpu-size.png"
set multiplot layout 1,2 title "Device-side CPU per GiB (the guest's CPU time minus the USB host side's)"
set ylabel "CPU s/GiB"
set logscale y
set key top right
set title "dummy_hcd"
plot for [i=2:6] dir."/cpu-size-dummy.dat" using 1:i with linespoints lw 2 title word(titles, i-1)
set title "simulated SG UDC"
plot for [i=2:6] dir."/cpu-size-sg.dat" using 1:i with linespoints lw 2 title word(titles, i-1)
unset multiplot
unset logscale y

set output dir."/inflight.png"
set terminal png size 800,380 font ",9" noenhanced
set logscale x 2
set xtics (1, 2, 4, 8, 16)
set xrange [0.8:20]
set xlabel "buffers in flight (1 MiB each)"
set ylabel "MiB/s"
set key outside right font ",8"
set title "Throughput against the buffers in flight (one stream)"
f = dir."/inflight.dat"
# one colour per path (as in the other plots), solid dummy_hcd, dashed SG UDC
plot f using 1:3 with linespoints lw 2 lc rgb "#56b4e9" pt 7 title "mixed, dummy_hcd", \
     f using 1:5 with linespoints lw 2 lc rgb "#e69f00" pt 7 title "bridge, dummy_hcd", \
     f using 1:7 with linespoints lw 2 lc rgb "#c8b400" pt 7 title "f_sourcesink, dummy_hcd", \
     f using 1:2 with linespoints lw 2 dt 2 lc rgb "#009e73" pt 6 title "pair, SG UDC", \
     f using 1:4 with linespoints lw 2 dt 2 lc rgb "#56b4e9" pt 6 title "mixed, SG UDC", \
     f using 1:6 with linespoints lw 2 dt 2 lc rgb "#e69f00" pt 6 title "bridge, SG UDC", \
     f using 1:8 with linespoints lw 2 dt 2 lc rgb "#c8b400" pt 6 title "f_sourcesink, SG UDC"
