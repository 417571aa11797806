/* A bump arena: one per graph (ggml context / QBE style), freed at once.
 * Allocations are 16-byte aligned and zeroed.  An optional byte limit bounds
 * what hostile input can make us allocate. */
#ifndef INGOT_ARENA_H
#define INGOT_ARENA_H

#include <stddef.h>

typedef struct ingot_arena_block_s ingot_arena_block_t;

typedef struct {
  ingot_arena_block_t *head;
  size_t used_total;  /* bytes handed out so far */
  size_t limit;       /* 0 = unlimited */
} ingot_arena_t;

void ingot_arena_init(ingot_arena_t *a, size_t limit);
/* Returns NULL when out of memory, on overflow, or past the limit. */
void *ingot_arena_alloc(ingot_arena_t *a, size_t size);
/* n * size with overflow check. */
void *ingot_arena_calloc(ingot_arena_t *a, size_t n, size_t size);
char *ingot_arena_strdup(ingot_arena_t *a, const char *s);
char *ingot_arena_strndup(ingot_arena_t *a, const char *s, size_t n);
void ingot_arena_free(ingot_arena_t *a);

#endif
