# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of the iio-usb-bridge book. Build it with
# tools/docs.sh (Debian's python3-sphinx, warnings are errors).
#
# The UAPI reference is extracted from the kernel-doc comments of
# uapi/linux/iio_usb_bridge.h by the kernel's own kernel-doc extension and
# script, used in place from linux-source-6.12 (KSRC, set up by
# tools/setup.sh): nothing of it is copied into this tree.

import os
import re
import sys

from sphinx.errors import ConfigError

srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def _kernel_source():
    ksrc = os.environ.get('KSRC')
    if not ksrc:
        cache = os.environ.get('IUB_CACHE') or os.path.join(
            os.environ.get('XDG_CACHE_HOME') or
            os.path.join(os.path.expanduser('~'), '.cache'), 'iio-usb-bridge')
        try:
            with open(os.path.join(cache, 'env'), encoding='utf-8') as env:
                for line in env:
                    if line.startswith('KSRC='):
                        ksrc = line.strip().split('=', 1)[1]
        except OSError:
            pass
    if not ksrc or not os.path.isfile(os.path.join(ksrc, 'scripts', 'kernel-doc')):
        if os.environ.get('IUB_DOCS_NO_KERNELDOC'):
            return None
        raise ConfigError('linux-source-6.12 not found (KSRC=%s): run '
                          'tools/setup.sh, or set KSRC to a kernel tree' % ksrc)
    return ksrc


def _project_version():
    with open(os.path.join(srctree, 'CMakeLists.txt'), encoding='utf-8') as f:
        m = re.search(r'project\([^)]*VERSION\s+([0-9.]+)', f.read())
    return m.group(1) if m else 'unknown'


# IUB_DOCS_NO_KERNELDOC=1 (the man pages of a build without the developer's
# cache, packaging/CMakeLists.txt): without linux-source, every kernel-doc
# directive becomes an empty one and the UAPI reference lacks its extracts.
ksrc = _kernel_source()
if ksrc:
    sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'iio-usb-bridge'
author = 'The iio-usb-bridge developers'
copyright = 'The iio-usb-bridge developers; GPL-2.0'
version = release = _project_version()

needs_sphinx = '5.3'
extensions = ['sphinx.ext.autosectionlabel']
if ksrc:
    extensions.append('kerneldoc')
# :ref:`page:section title` reaches any section of any page.
autosectionlabel_prefix_document = True
kerneldoc_bin = os.path.join(ksrc or '', 'scripts', 'kernel-doc')
kerneldoc_srctree = srctree
# kernel-doc's own complaints go to stderr; tools/docs.sh checks them apart.
kerneldoc_verbosity = 0

master_doc = 'index'
source_suffix = '.rst'
exclude_patterns = ['output', '_build']
primary_domain = 'c'
highlight_language = 'none'
pygments_style = 'sphinx'

html_theme = 'alabaster'
html_theme_options = {
    'description': 'One fd, io_uring, zero-copy IIO <-> USB',
    'page_width': '1100px',
    'sidebar_width': '240px',
}
html_title = 'iio-usb-bridge %s' % release
html_show_sourcelink = False

# Manual pages (sphinx-build -b man; the packaging builds and installs
# them): (start page, name, description, authors, section). The page's
# title becomes NAME, its sections the man page's.
man_pages = [
    ('iub', 'iub', 'list the ports of /dev/iio-usb-bridge and stream through them',
     [author], 1),
    ('usb-receiver', 'iub-usb-recv',
     'USB host side of iio-usb-bridge: receive and verify, or send, a stream',
     [author], 1),
    ('iiod-bridge', 'iub-iiod',
     "serve libiio's USB protocol through iio-usb-bridge",
     [author], 1),
]


def setup(app):
    if ksrc:
        return
    from docutils.parsers.rst import Directive, directives

    class NoKernelDoc(Directive):
        """kernel-doc without linux-source: nothing (IUB_DOCS_NO_KERNELDOC)."""
        required_arguments = 1
        final_argument_whitespace = True
        option_spec = dict.fromkeys(
            ('doc', 'export', 'internal', 'identifiers', 'no-identifiers',
             'functions', 'no-doc-sections'), directives.unchanged)

        def run(self):
            return []

    app.add_directive('kernel-doc', NoKernelDoc)
