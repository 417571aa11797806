/* Internal interface between the model lifecycle (rt_model.c) and the CUDA
 * path (rt_cuda.c).  Not installed next to artifacts: apps only see
 * ingot_rt.h. */
#ifndef INGOT_RT_CUDA_H
#define INGOT_RT_CUDA_H

#include "ingot_rt.h"

typedef struct ingot_rt_cuda ingot_rt_cuda_t;

/* Called after every launch when timing is on: start and duration in
 * microseconds of the host's monotonic clock (the launch is synchronised). */
typedef void (*ingot_rt_cuda_record_fn)(void *user, int bucket, int kernel, double start_us, double dur_us);

/* Opens the driver, makes the device's primary context current, loads the
 * PTX, uploads the weights (host payload of d->base.weights_bytes bytes) and
 * allocates the arena and the input/output buffers.  On failure *out is NULL
 * and err says why. */
ingot_rt_status_t ingot_rt_cuda_create(const ingot_rt_cuda_desc_t *d, const uint8_t *weights, int device,
                                       ingot_rt_cuda_t **out, char *err, size_t errlen);
/* Copies inputs in, launches bucket's kernels, copies outputs out.  record
 * may be NULL. */
ingot_rt_status_t ingot_rt_cuda_run(ingot_rt_cuda_t *c, int bucket, void *const *inputs, void *const *outputs,
                                    ingot_rt_cuda_record_fn record, void *user, char *err, size_t errlen);
void ingot_rt_cuda_destroy(ingot_rt_cuda_t *c);

#endif
