#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load or unload the simulated board (busybox sh; in the test VM or on a
# machine running the target kernel):
#
#   sh sim/iub-sim-load.sh            load whatever is not loaded yet
#   sh sim/iub-sim-load.sh --unload   unload it all, the test fixture too
#   . sim/iub-sim-load.sh             same as the first, from a sourcing
#                                     shell (tests/vm/modules.list); finds
#                                     sim/ through $IUB_GUEST_SRC then
#
# Loads industrialio (Debian), iub_sim_dma, iub_sim_iio, the upstream IIO
# DMA buffer modules built by sim/build-upstream-iio-dma.sh, and
# iub_sim_adc_dmabuf. Extra module parameters come from the environment:
# IUB_SIM_DMA_ARGS, IUB_SIM_IIO_ARGS, IUB_SIM_DMABUF_ARGS, and, as modprobe
# would take them, from the kernel command line ("iub_sim_dma.max_seg=N":
# the suite's bounce lane sets the board's constraints that way).
# The modules are those next to this script, or, in the test VM, those of
# $IUB_GUEST_KMOD/sim (the guest's architecture: tools/vm/iub-vm).
# Status: 0 when everything is (un)loaded, 1 otherwise.

iub_sim_loaded() {
	grep -q "^$1 " /proc/modules
}

# iub_sim_insmod NAME KO [PARAMS...]
iub_sim_insmod() {
	iub_sim_loaded "$1" && return 0
	if [ ! -f "$2" ]; then
		echo "iub-sim-load: $2 missing (build first)" >&2
		return 1
	fi
	# shellcheck disable=SC2086 # $3 is a list of parameters
	insmod "$2" ${3:-}
}

# iub_sim_cmdline NAME: NAME's parameters on the kernel command line
iub_sim_cmdline() {
	# shellcheck disable=SC2013 # the command line is one line of words
	for iub_sim_w in $(cat /proc/cmdline); do
		case $iub_sim_w in
		"$1".*=*) printf '%s ' "${iub_sim_w#"$1".}" ;;
		esac
	done
}

# iub_sim_main DIR [--unload]
iub_sim_main() {
	iub_sim_dir=$1
	iub_sim_rc=0
	iub_sim_up=${IUB_IIO_DMA_DIR:-$(cat "$iub_sim_dir/.upstream-iio-dma" 2>/dev/null)}
	# In the test VM the host's root filesystem is mounted on /host.
	if [ -n "$iub_sim_up" ] && [ -d "/host$iub_sim_up" ]; then
		iub_sim_up=/host$iub_sim_up
	fi

	if [ "${2:-}" = --unload ]; then
		for iub_sim_m in iub_sim_dmatest iub_sim_adc_dmabuf iub_sim_iio \
				 iub_sim_dma industrialio_buffer_dmaengine \
				 industrialio_buffer_dma; do
			if iub_sim_loaded "$iub_sim_m"; then
				rmmod "$iub_sim_m" || iub_sim_rc=1
			fi
		done
		return $iub_sim_rc
	fi

	iub_sim_loaded industrialio || modprobe industrialio || iub_sim_rc=1
	iub_sim_insmod iub_sim_dma "$iub_sim_dir/iub_sim_dma.ko" \
		"${IUB_SIM_DMA_ARGS:-} $(iub_sim_cmdline iub_sim_dma)" ||
		iub_sim_rc=1
	iub_sim_insmod iub_sim_iio "$iub_sim_dir/iub_sim_iio.ko" \
		"${IUB_SIM_IIO_ARGS:-}" || iub_sim_rc=1
	if [ -z "$iub_sim_up" ]; then
		echo "iub-sim-load: upstream IIO DMA modules not built (sim/build-upstream-iio-dma.sh)" >&2
		return 1
	fi
	iub_sim_insmod industrialio_buffer_dma \
		"$iub_sim_up/industrialio-buffer-dma.ko" || iub_sim_rc=1
	iub_sim_insmod industrialio_buffer_dmaengine \
		"$iub_sim_up/industrialio-buffer-dmaengine.ko" || iub_sim_rc=1
	iub_sim_insmod iub_sim_adc_dmabuf "$iub_sim_dir/iub_sim_adc_dmabuf.ko" \
		"${IUB_SIM_DMABUF_ARGS:-}" || iub_sim_rc=1
	return $iub_sim_rc
}

# Sourced (then $0 is the caller's name): run in the caller's shell and
# leave its options and status alone.
case ${0##*/} in
iub-sim-load.sh)
	iub_sim_main "${IUB_GUEST_KMOD:-$(cd "$(dirname "$0")/.." && pwd)}/sim" "$@"
	exit $?
	;;
*)
	iub_sim_main "${IUB_GUEST_KMOD:-${IUB_GUEST_SRC:-.}}/sim"
	;;
esac
