/* Thread pool: a fixed set of workers woken per parallel_for.  The caller
 * runs the first chunk itself, so a pool of N threads starts N-1 workers.
 *
 * Kernels are launched back to back (a DiT step is ~100-400 launches of
 * 10 us - 1 ms), so wake-up latency matters more than idle CPU: workers spin
 * on the job counter for a while after each job before sleeping on a
 * condition variable, and the caller spins for completion.  Spins are
 * bounded, so an idle pool sleeps. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ingot_rt.h"

enum { SPIN_ITERS = 200000 }; /* ~50-100 us of polling before sleeping */

struct ingot_rt_pool {
  int threads;
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t wake;
  atomic_uint_fast64_t generation; /* bumped per job */
  atomic_int pending;              /* workers still running the current job */
  atomic_int sleepers;             /* workers blocked on `wake` */
  atomic_int stop;
  /* the current job (written before generation is bumped) */
  ingot_rt_task_fn fn;
  void *ctx;
  int64_t n, grain;
  atomic_int_fast64_t next; /* next unclaimed item: threads take grains until none are left */
};

typedef struct {
  ingot_rt_pool_t *p;
  int index;
} worker_arg_t;

/* Claims grains of the current job until none are left.  Dynamic claiming
 * (rather than one fixed share per thread) keeps a preempted or slower
 * thread from stalling every kernel: the others take over its grains. */
static void run_grains(ingot_rt_pool_t *p) {
  for (;;) {
    int64_t b = atomic_fetch_add_explicit(&p->next, p->grain, memory_order_relaxed);
    if (b >= p->n) break;
    int64_t e = b + p->grain < p->n ? b + p->grain : p->n;
    p->fn(p->ctx, b, e);
  }
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void *worker_main(void *arg) {
  worker_arg_t *wa = arg;
  ingot_rt_pool_t *p = wa->p;
  int index = wa->index;
  free(wa);
  uint64_t seen = 0;
  for (;;) {
    /* wait for a new job: spin, then sleep */
    uint64_t g;
    int spins = 0;
    while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen &&
           !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
      if (++spins < SPIN_ITERS) {
        cpu_relax();
        continue;
      }
      pthread_mutex_lock(&p->mu);
      atomic_fetch_add(&p->sleepers, 1);
      while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->wake, &p->mu);
      atomic_fetch_sub(&p->sleepers, 1);
      pthread_mutex_unlock(&p->mu);
      spins = 0;
    }
    if (atomic_load(&p->stop)) break;
    seen = g;
    (void)index;
    run_grains(p);
    atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
  }
  return NULL;
}

ingot_rt_status_t ingot_rt_pool_create(int threads, ingot_rt_pool_t **out) {
  *out = NULL;
  if (threads < 1) threads = 1;
  if (threads > 1024) threads = 1024;
  ingot_rt_pool_t *p = calloc(1, sizeof *p);
  if (!p) return INGOT_RT_ERR_NOMEM;
  p->threads = threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  atomic_init(&p->generation, 0);
  atomic_init(&p->pending, 0);
  atomic_init(&p->sleepers, 0);
  atomic_init(&p->stop, 0);
  atomic_init(&p->next, 0);
  if (threads > 1) {
    p->workers = calloc((size_t)threads, sizeof *p->workers);
    if (!p->workers) {
      ingot_rt_pool_destroy(p);
      return INGOT_RT_ERR_NOMEM;
    }
    for (int i = 1; i < threads; i++) {
      worker_arg_t *wa = malloc(sizeof *wa);
      if (wa) {
        wa->p = p;
        wa->index = i;
      }
      if (!wa || pthread_create(&p->workers[i], NULL, worker_main, wa)) {
        free(wa);
        p->threads = i; /* only these exist; destroy joins them */
        ingot_rt_pool_destroy(p);
        return INGOT_RT_ERR_NOMEM;
      }
    }
  }
  *out = p;
  return INGOT_RT_OK;
}

void ingot_rt_pool_destroy(ingot_rt_pool_t *p) {
  if (!p) return;
  if (p->workers) {
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->threads; i++) pthread_join(p->workers[i], NULL);
    free(p->workers);
  }
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->wake);
  free(p);
}

int ingot_rt_pool_threads(const ingot_rt_pool_t *p) { return p ? p->threads : 1; }

void ingot_rt_parallel_for(ingot_rt_pool_t *p, int64_t n, ingot_rt_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (!p || p->threads <= 1 || n == 1) {
    fn(ctx, 0, n);
    return;
  }
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  /* about 4 grains per thread: small enough to rebalance, big enough that
   * claiming costs nothing next to the work */
  p->grain = n / (4 * (int64_t)p->threads);
  if (p->grain < 1) p->grain = 1;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  atomic_store_explicit(&p->pending, p->threads - 1, memory_order_relaxed);
  atomic_fetch_add(&p->generation, 1); /* seq_cst: pairs with the sleepers check in workers */
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
  }
  run_grains(p);
  int spins = 0;
  while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) {
    if (++spins < SPIN_ITERS) cpu_relax();
    else sched_yield();
  }
}

void *ingot_rt_aligned_alloc(size_t bytes) {
  void *p = NULL;
  size_t n = (bytes + 63) & ~(size_t)63;
  if (n < bytes) return NULL;
  if (posix_memalign(&p, 64, n ? n : 64) != 0) return NULL;
  memset(p, 0, n ? n : 64);
  return p;
}

void ingot_rt_aligned_free(void *p) { free(p); }
