// SPDX-License-Identifier: GPL-2.0
/*
 * usb-ctrl: the USB host side of tests/vm/usb-events.sh on dummy_hcd. Sends
 * libiio's vendor requests (bmRequestType 0x41, wLength 0) to the interface
 * whose string is "IIO" on the device 1d6b:0104, as libiio's USB backend
 * does, and prints what the interface looks like.
 *
 *   usb-ctrl layout                interface string, endpoint addresses
 *   usb-ctrl request REQ VALUE [N] send bRequest REQ, wValue VALUE, N times
 *
 * Exit status: 0 when every request was acknowledged, 3 when the device
 * stalled one (it prints "stall"), 1 on any other error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>

#define USB_CTRL_VID 0x1d6b
#define USB_CTRL_PID 0x0104

/* The interface libiio would pick: altsetting 0 with the string "IIO". */
static int find_iio_intf(libusb_device_handle *h,
			 const struct libusb_interface_descriptor **out)
{
	struct libusb_config_descriptor *cfg;
	unsigned char s[64];
	int i, rc;

	rc = libusb_get_active_config_descriptor(libusb_get_device(h), &cfg);
	if (rc)
		return rc;
	for (i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface_descriptor *d =
			&cfg->interface[i].altsetting[0];

		if (!d->iInterface)
			continue;
		rc = libusb_get_string_descriptor_ascii(h, d->iInterface, s,
							sizeof(s));
		if (rc == 3 && !memcmp(s, "IIO", 3)) {
			/* the config stays allocated for the caller */
			*out = d;
			return 0;
		}
	}
	libusb_free_config_descriptor(cfg);
	return LIBUSB_ERROR_NOT_FOUND;
}

int main(int argc, char **argv)
{
	const struct libusb_interface_descriptor *d;
	libusb_device_handle *h;
	unsigned long req, value, n = 1, i;
	int rc, ret = 1;

	if (argc < 2 || (strcmp(argv[1], "layout") &&
			 (strcmp(argv[1], "request") || argc < 4))) {
		fprintf(stderr, "usage: usb-ctrl layout | request REQ VALUE [N]\n");
		return 2;
	}
	if (libusb_init(NULL))
		return 1;
	h = libusb_open_device_with_vid_pid(NULL, USB_CTRL_VID, USB_CTRL_PID);
	if (!h) {
		fprintf(stderr, "usb-ctrl: no device %04x:%04x\n", USB_CTRL_VID,
			USB_CTRL_PID);
		goto out_exit;
	}
	rc = find_iio_intf(h, &d);
	if (rc) {
		fprintf(stderr, "usb-ctrl: no interface \"IIO\": %s\n",
			libusb_error_name(rc));
		goto out_close;
	}
	if (!strcmp(argv[1], "layout")) {
		printf("interface %u IIO endpoints", d->bInterfaceNumber);
		for (i = 0; i < d->bNumEndpoints; i++)
			printf(" %02x", d->endpoint[i].bEndpointAddress);
		printf("\n");
		ret = 0;
		goto out_close;
	}
	req = strtoul(argv[2], NULL, 0);
	value = strtoul(argv[3], NULL, 0);
	if (argc > 4)
		n = strtoul(argv[4], NULL, 0);
	for (i = 0; i < n; i++) {
		rc = libusb_control_transfer(h, LIBUSB_REQUEST_TYPE_VENDOR |
					     LIBUSB_RECIPIENT_INTERFACE,
					     req, value, d->bInterfaceNumber,
					     NULL, 0, 1000);
		if (rc == LIBUSB_ERROR_PIPE) {
			printf("stall\n");
			ret = 3;
			goto out_close;
		}
		if (rc < 0) {
			fprintf(stderr, "usb-ctrl: request %lu: %s\n", req,
				libusb_error_name(rc));
			goto out_close;
		}
	}
	ret = 0;
out_close:
	libusb_close(h);
out_exit:
	libusb_exit(NULL);
	return ret;
}
