/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/version.h
 * Compile-time and run-time version information and feature queries.
 */
#ifndef CTR_VERSION_H
#define CTR_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/** Major version of the headers (API breaks bump it; the soname follows it). */
#define CTR_VERSION_MAJOR 0
/** Minor version of the headers (new API bumps it). */
#define CTR_VERSION_MINOR 2
/** Micro version of the headers (fixes only). */
#define CTR_VERSION_MICRO 0
/** One number for comparisons: 0xMMmmuu. */
#define CTR_VERSION_NUMBER ((CTR_VERSION_MAJOR << 16) | (CTR_VERSION_MINOR << 8) | CTR_VERSION_MICRO)
/** Version of the OCI runtime-spec this library implements. */
#define CTR_OCI_VERSION "1.3.0"

/**
 * The version of the library actually loaded.
 *
 * @return "MAJOR.MINOR.MICRO", a static string (do not free it)
 */
const char *ctr_version(void);

/**
 * The version of the library actually loaded, as a number.
 *
 * @return the version as CTR_VERSION_NUMBER encodes it (0xMMmmuu); compare
 *         it with CTR_VERSION_NUMBER to learn whether the library is at
 *         least as new as the headers
 */
unsigned ctr_version_number(void);

/**
 * Whether the loaded library implements a named feature.
 *
 * Bindings use this to find out what the library they loaded can do without
 * relying on symbol lookup.  Known names include "spec", "lifecycle", "exec",
 * "terminal", "hooks", "pidfd" and "namespaces.<type>" (e.g. "namespaces.time").
 *
 * @param name feature name; NULL gives 0
 * @return 1 when the feature is available in this build on this kernel, else 0
 */
int ctr_has_feature(const char *name);

#ifdef __cplusplus
}
#endif
#endif
