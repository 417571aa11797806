/* libingot_rt: the small runtime that generated code and apps link against.
 * Depends on libc, libm and pthreads only. */
#ifndef INGOT_RT_H
#define INGOT_RT_H

#define INGOT_RT_VERSION "0.1.0"

const char *ingot_rt_version(void);

#endif
