/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/ctr.h
 * libctr umbrella header: include this one.
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
