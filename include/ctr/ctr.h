/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/ctr.h
 * libctr umbrella header: include this one.
 *
 * @section env Environment
 *
 * The library reads only these variables of the calling process, and only
 * for these defaults (an explicit option always wins):
 *  - `XDG_RUNTIME_DIR`: the default state root of a caller that is not root
 *    (`$XDG_RUNTIME_DIR/ctr`; read with secure_getenv()), and a CDI spec
 *    directory of such a caller (`$XDG_RUNTIME_DIR/cdi`);
 *  - `XDG_CONFIG_HOME`, else `HOME`: a CDI spec directory of a caller that is
 *    not root (`$XDG_CONFIG_HOME/cdi`, `$HOME/.config/cdi`);
 *  - `TMPDIR`: where an image archive is unpacked while it is imported
 *    (default /var/tmp);
 *  - `PATH`: where newuidmap and newgidmap are looked for (then /usr/bin,
 *    /usr/sbin, /bin, /sbin).
 * No other variable changes what the library does: it has no debug or test
 * switches in the environment.
 */
#ifndef CTR_CTR_H
#define CTR_CTR_H

#include "version.h"
#include "error.h"
#include "context.h"
#include "spec.h"
#include "container.h"
#include "accel.h"
#include "network.h"
#include "image.h"

#endif
