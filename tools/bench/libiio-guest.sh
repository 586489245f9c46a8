# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC2154 # variables of bench-guest.sh
#
# The benchmark's libiio rows inside the test VM (Documentation/benchmark.rst,
# "libiio clients"): sourced by bench-guest.sh --libiio, after it loaded the
# board, the bridge, FunctionFS and dummy_hcd. Not a program of its own.
#
# Two device-side daemons serve the simulated ADC over USB on dummy_hcd, one
# at a time, and Debian's unmodified iio_readdev reads it on the host side
# of the same VM (through `chroot /host`), measured and verified by
# iub-bench-libiio (tools/bench/bench-libiio.c):
#
#   iiod      Debian's stock iiod 0.24, `iiod -F MOUNTPOINT -n 3`, on a
#             FunctionFS function (ffs.iiod) of a configfs gadget; it
#             reads the DMA-buffer ADC iub-sim-adc-dmabuf.0 (the standard
#             IIO DMA buffer, fileio) with libiio's local backend
#   iub-iiod  the bridge's daemon, `iub-iiod --function lio`, on the
#             bridge's gadget function iio_usb_bridge.lio (protocol=libiio,
#             3 pipes: 3 bulk IN, 3 bulk OUT), the ADC iub-sim-adc.0
#             through bridge routes
#
# The client finds the gadget with `iio_info -S usb` (interface string
# "IIO") and reads `iio_readdev -u usb:B.A.I -b SAMPLES -s TOTAL DEV voltage0
# voltage1` (all the channels the ADC has, in scan order); the output must
# be the ADC's stream, byte for byte. A daemon that is not there (not built,
# or the function has no protocol attribute) gives rows with status "not
# available" and the reason, never a number.
#
# Variables from bench-guest.sh: SRC BUILD KMOD GADGET out results lane
# smoke only secs; functions say json_fail.
#
# Environment: IUB_IIOD (the bridge daemon; default
# BUILD/tools/iiod-bridge/iub-iiod), IUB_LIBIIO_BRIDGE_DEVICE (the device
# iio_readdev names through it; default the IIO id of iub-sim-adc.0).

LBENCH=$BUILD/tools/bench/iub-bench-libiio
LG=/sys/kernel/config/usb_gadget/iub-bench-iiod
LFFS=/run/iub-bench-iiod-ffs	# in the host root: iiod runs in /host
LIIOD=${IUB_IIOD:-$BUILD/tools/iiod-bridge/iub-iiod}
LFUNC=lio
lpid='' luri='' ldev='' lwhy=''

# iio_id LABEL: the IIO id (iio:deviceN) of the device with that label
iio_id() {
	for d in /sys/bus/iio/devices/iio:device*; do
		[ "$(cat "$d/label" 2> /dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

# libiio_scan: wait (20 s at most) for `iio_info -S usb` to list exactly one
# libiio USB context; its URI in luri
libiio_scan() {
	luri=''
	i=0
	while [ $i -lt 40 ]; do
		luri=$(TMPDIR=/run chroot /host iio_info -S usb 2> /dev/null |
			sed -n 's/.*\[\(usb:[0-9.]*\)\].*/\1/p')
		[ "$(echo "$luri" | grep -c .)" = 1 ] && return 0
		sleep 0.5
		i=$((i + 1))
	done
	echo "libiio: iio_info -S usb found: '$luri'" >> "$log"
	luri=''
	return 1
}

# the stock iiod on FunctionFS
iiod_start() {
	lwhy=''
	[ -x /host/usr/sbin/iiod ] || { lwhy="no /usr/sbin/iiod on the host (package iiod: tools/setup.sh)"; return 1; }
	ldev=$(iio_id "${1:-iub-sim-adc-dmabuf.0}") || { lwhy="no ${1:-iub-sim-adc-dmabuf.0}"; return 1; }
	mkdir -p "$LG/configs/c.1" "$LG/strings/0x409" || { lwhy="configfs gadget"; return 1; }
	echo 0x1d6b > "$LG/idVendor"
	echo 0x0104 > "$LG/idProduct"
	echo "iio-usb-bridge bench" > "$LG/strings/0x409/manufacturer"
	echo "stock iiod" > "$LG/strings/0x409/product"
	if ! mkdir -p "$LG/functions/ffs.iiod" ||
	   ! ln -s "$LG/functions/ffs.iiod" "$LG/configs/c.1/"; then
		lwhy="FunctionFS function"
		return 1
	fi
	mkdir -p "/host$LFFS"
	mount -t functionfs iiod "/host$LFFS" || { lwhy="mount functionfs"; return 1; }
	TMPDIR=/run chroot /host /usr/sbin/iiod -F "$LFFS" -n 3 >> "$out/iiod.log" 2>&1 &
	lpid=$!
	# iiod wrote its descriptors: the endpoint files exist
	i=0
	while [ ! -e "/host$LFFS/ep6" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$lpid" 2> /dev/null; then
			lwhy="iiod did not set up FunctionFS (see iiod.log)"
			return 1
		fi
		sleep 0.1
	done
	echo dummy_udc.0 > "$LG/UDC" || { lwhy="bind dummy_udc.0"; return 1; }
	libiio_scan || { lwhy="the host side never saw the iiod gadget"; return 1; }
}

iiod_stop() {
	if [ -n "$lpid" ]; then
		kill "$lpid" 2> /dev/null
		i=0
		while kill -0 "$lpid" 2> /dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$lpid" 2> /dev/null
		wait "$lpid" 2> /dev/null
		lpid=''
	fi
	if [ -d "$LG" ]; then
		[ -n "$(cat "$LG/UDC" 2> /dev/null)" ] && echo > "$LG/UDC"
		rm -f "$LG/configs/c.1/ffs.iiod"
	fi
	grep -q " /host$LFFS " /proc/mounts && umount "/host$LFFS"
	if [ -d "$LG" ]; then
		rmdir "$LG/configs/c.1" "$LG/functions/ffs.iiod" "$LG/strings/0x409" "$LG"
	fi
	return 0
}

# the bridge's daemon on the bridge's gadget function
bridge_start() {
	lwhy=''
	[ -e "$LIIOD" ] || { lwhy="no bridge daemon: $LIIOD not built"; return 1; }
	ldev=${IUB_LIBIIO_BRIDGE_DEVICE:-$(iio_id iub-sim-adc.0)} ||
		{ lwhy="no iub-sim-adc.0"; return 1; }
	$GADGET remove >> "$log" 2>&1
	f=/sys/kernel/config/usb_gadget/iub/functions/iio_usb_bridge.$LFUNC
	$GADGET create $LFUNC 3 3 libiio >> "$log" 2>&1
	[ -e "$f/protocol" ] || { lwhy="no kernel side: the gadget function has no protocol attribute"; return 1; }
	[ -d "$f" ] || { lwhy="iub-gadget.sh create failed"; return 1; }
	# an iub-gadget.sh without the protocol argument: set it unlinked
	# (the function refuses it while it has an instance)
	if [ "$(cat "$f/protocol")" != libiio ]; then
		rm -f "/sys/kernel/config/usb_gadget/iub/configs/c.1/iio_usb_bridge.$LFUNC"
		echo libiio > "$f/protocol" || { lwhy="protocol=libiio refused"; return 1; }
		ln -s "$f" /sys/kernel/config/usb_gadget/iub/configs/c.1/ ||
			{ lwhy="configfs link"; return 1; }
	fi
	$GADGET bind dummy_udc.0 >> "$log" 2>&1 || { lwhy="bind dummy_udc.0"; return 1; }
	# a dynamically linked daemon runs in the host root, a static one here
	if grep -q 'ld-linux' "$LIIOD" 2> /dev/null; then
		TMPDIR=/run chroot /host "${LIIOD#/host}" --function $LFUNC >> "$out/iub-iiod.log" 2>&1 &
	else
		"$LIIOD" --function $LFUNC >> "$out/iub-iiod.log" 2>&1 &
	fi
	lpid=$!
	# it serves the pipes once it has claimed their ports
	i=0
	while ! "$BUILD/tests/vm/iub-ports" 2> /dev/null |
			awk -v n="$LFUNC:in0" '$2 == n' | grep -q BUSY; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$lpid" 2> /dev/null; then
			lwhy="iub-iiod did not claim its ports (see iub-iiod.log)"
			return 1
		fi
		sleep 0.1
	done
	libiio_scan || { lwhy="the host side never saw the bridge's libiio gadget"; return 1; }
}

bridge_stop() {
	if [ -n "$lpid" ]; then
		kill "$lpid" 2> /dev/null
		i=0
		while kill -0 "$lpid" 2> /dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$lpid" 2> /dev/null
		wait "$lpid" 2> /dev/null
		lpid=''
	fi
	$GADGET remove >> "$log" 2>&1
	return 0
}

# libiio_cleanup: whatever a run left (bench-guest.sh's EXIT trap)
libiio_cleanup() {
	iiod_stop
	bridge_stop
}

# libiio_total SAMPLES: the samples of one run (8 bytes a scan): at least
# 4 buffers, and so many MiB (by buffer size) that a run lasts seconds
# under TCG (0.1 MiB/s at 256 samples a buffer, tens at 256 Ki);
# --smoke: 256 KiB at 256 samples, else 4 buffers
libiio_total() {
	if [ "$smoke" = 1 ]; then
		kib=0
		[ "$1" -le 1024 ] && kib=256
	elif [ "$1" -le 1024 ]; then
		kib=$((${LIBIIO_SMALL_MIB:-1} * 1024))
	elif [ "$1" -le 16384 ]; then
		kib=$((${LIBIIO_MID_MIB:-8} * 1024))
	else
		kib=$((${LIBIIO_BIG_MIB:-64} * 1024))
	fi
	t=$((kib * 1024 / 8))
	[ "$t" -lt $(($1 * 4)) ] && t=$(($1 * 4))
	echo "$t"
}

# libiio_run DAEMON SAMPLES: one measurement (the daemon is up, or lwhy says
# why not); a JSON line into $results
libiio_run() {
	d=$1 n=$2
	if [ -n "$only" ] && ! echo "dummy $d $n" | grep -Eq "$only"; then
		return 0
	fi
	size=$((n * 8))
	if [ -n "$lwhy" ] || [ -z "$luri" ]; then
		printf '{"udc":"dummy","path":"%s","size":%s,"samples":%s,"inflight":1,"streams":1,"buffer":"-","status":"not available","lane":"%s","error":"%s"}\n' \
			"$d" "$size" "$n" "$lane" "$(echo "${lwhy:-no daemon}" | sed 's/["\\]//g')" >> "$results"
	else
		"$LBENCH" --daemon "$d" --daemon-pid "$lpid" --uri "$luri" --device "$ldev" \
			--samples "$n" --total "$(libiio_total "$n")" > /tmp/lbench.out 2>> "$log"
		rc=$?
		if grep -q '^{' /tmp/lbench.out; then
			grep '^{' /tmp/lbench.out >> "$results"
		else
			json_fail dummy "$d" "$size" 1 1 - failed "iub-bench-libiio exit $rc"
		fi
	fi
	tail -n 1 "$results" | sed -e 's/^{/bench: {/' | cut -c1-300
}

# libiio_plan: every size with each daemon, REPS times, interleaved. Each
# run has a daemon of its own, started for it and stopped after it: a
# second client of one stock iiod 0.24 process over FunctionFS fails about
# every other time (EINVAL while creating the context or the buffer; seen
# on this test bed, Documentation/benchmark.rst), and a fresh daemon per
# run treats both daemons alike. Start-up and enumeration are outside the
# measured window; the client's own context creation is inside it.
libiio_plan() {
	if [ "$smoke" = 1 ]; then
		sizes="256 65536" reps=1
	else
		sizes=${LIBIIO_SIZES:-"256 4096 65536 262144 1048576"} reps=${LIBIIO_REPS:-3}
	fi
	say "libiio clients: iio_readdev through stock iiod and iub-iiod, $sizes samples, $reps times"
	late=''
	r=1
	while [ $r -le "$reps" ]; do
		for n in $sizes; do
			for d in iiod iub-iiod; do
				if [ -n "$only" ] && ! echo "dummy $d $n" | grep -Eq "$only"; then
					continue
				fi
				# stock iiod above 256 Ki samples: once, last
				if [ "$d" = iiod ] && [ "$n" -gt 262144 ]; then
					late="$late $n"
					continue
				fi
				if [ "$d" = iiod ]; then
					iiod_start
				else
					bridge_start
				fi
				if [ -n "$lwhy" ]; then
					say "$d: not available: $lwhy"
				else
					say "$d: $luri, device $ldev, $n samples"
				fi
				libiio_run "$d" "$n"
				if [ "$d" = iiod ]; then
					iiod_stop
				else
					bridge_stop
				fi
			done
		done
		r=$((r + 1))
	done
	# Stock iiod above 256 Ki samples: libiio's local backend asks for
	# four times the samples, which the IIO DMA buffer splits into two
	# fileio blocks from dma_alloc_coherent(): 16 MiB each at 1 Mi
	# samples, more than the page allocator gives (ENOMEM). Upstream
	# 6.12's iio_dma_buffer_request_update() has by then freed the old
	# blocks but keeps pointing at them, and the next enable of that
	# buffer frees them again (refcount underflow, then a corrupted
	# guest: Documentation/benchmark.rst, Findings). So it runs once,
	# after everything else, on the second DMA-buffer ADC, and the board
	# stays loaded at the end.
	for n in $(echo "$late" | tr ' ' '\n' | sort -nu); do
		iiod_start iub-sim-adc-dmabuf.1
		if [ -n "$lwhy" ]; then
			say "iiod: not available: $lwhy"
		else
			say "iiod: $luri, device $ldev (iub-sim-adc-dmabuf.1), $n samples, once"
		fi
		libiio_run iiod "$n"
		iiod_stop
		# shellcheck disable=SC2034 # bench-guest.sh's restore() reads it
		grep '"path":"iiod",' "$results" | tail -n 1 | grep -q '"status":"ok"' ||
			libiio_poisoned="iub-sim-adc-dmabuf.1's IIO DMA buffer may hold a freed block"
	done
}

# libiio_verdict: the smoke test's: stock iiod ran and verified at every
# size; the bridge's daemon verified, or is not there at all (not built,
# or the gadget function has no protocol=libiio: the kernel side missing);
# exit status 0 pass, 1 fail
libiio_verdict() {
	bad=0
	[ -s "$results" ] || { echo "not ok - no libiio runs"; return 1; }
	for n in 256 65536; do
		line=$(grep "\"path\":\"iiod\",\"size\":$((n * 8))," "$results" | head -n 1)
		if echo "$line" | grep -q '"status":"ok".*"verified":true'; then
			echo "ok - iiod $n samples: verified"
		else
			echo "not ok - iiod $n samples: ${line:-did not run}"
			bad=1
		fi
		line=$(grep "\"path\":\"iub-iiod\",\"size\":$((n * 8))," "$results" | head -n 1)
		if echo "$line" | grep -q '"status":"ok".*"verified":true'; then
			echo "ok - iub-iiod $n samples: verified"
		elif echo "$line" | grep -q '"status":"not available".*"error":"no \(bridge daemon\|kernel side\)'; then
			# the daemon not built, or the gadget function without
			# protocol=libiio: nothing of the bridge's to measure
			echo "ok - iub-iiod $n samples: $(echo "$line" | sed -n 's/.*"error":"\([^"]*\)".*/\1/p') # SKIP"
		else
			echo "not ok - iub-iiod $n samples: ${line:-did not run}"
			bad=1
		fi
	done
	if grep '"status":"ok"' "$results" | grep -q '"bytes":0,'; then
		echo "not ok - a run moved no data"
		bad=1
	fi
	return $bad
}
