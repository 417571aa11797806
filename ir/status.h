/* ingot status: every fallible function returns one of these.
 *
 * NULL means success (INGOT_OK); anything else is a heap-allocated status
 * carrying a code and a message.  Context is prepended as the status travels
 * up ("model.onnx: node 'Conv_3' (#2, Conv): ..."), after IREE's
 * IREE_RETURN_IF_ERROR.  The caller owns a returned status and frees it with
 * ingot_status_free (or hands it further up). */
#ifndef INGOT_STATUS_H
#define INGOT_STATUS_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
  INGOT_CODE_OK = 0,
  INGOT_CODE_INPUT = 1,       /* malformed / hostile / inconsistent input: exit 1 */
  INGOT_CODE_UNSUPPORTED = 2, /* valid but unsupported (op, dtype, opset): exit 2 */
  INGOT_CODE_IO = 3,          /* file system problems: exit 1 */
  INGOT_CODE_NOMEM = 4,       /* allocation failed or a size limit was hit: exit 1 */
  INGOT_CODE_INTERNAL = 5,    /* a bug in ingot: exit 1 */
} ingot_code_t;

typedef struct ingot_status_s *ingot_status_t;
#define INGOT_OK ((ingot_status_t)0)

#if defined(__GNUC__)
#define INGOT_MUST_USE __attribute__((warn_unused_result))
#define INGOT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define INGOT_MUST_USE
#define INGOT_PRINTF(a, b)
#endif

/* Make a new error.  Never returns NULL for code != OK (falls back to a static
 * out-of-memory status when the message cannot be allocated). */
ingot_status_t ingot_error(ingot_code_t code, const char *fmt, ...) INGOT_PRINTF(2, 3) INGOT_MUST_USE;
ingot_status_t ingot_errorv(ingot_code_t code, const char *fmt, va_list ap) INGOT_MUST_USE;
/* Prepend "context: " to the message; returns the same (or replaced) status. */
ingot_status_t ingot_status_annotate(ingot_status_t st, const char *fmt, ...) INGOT_PRINTF(2, 3) INGOT_MUST_USE;
ingot_code_t ingot_status_code(ingot_status_t st);
const char *ingot_status_message(ingot_status_t st);
void ingot_status_free(ingot_status_t st);
/* Process exit code for a status: 0 ok, 2 unsupported, 1 otherwise. */
int ingot_status_exit_code(ingot_status_t st);

#define INGOT_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ingot_status_t st__ = (expr);          \
    if (st__) return st__;                 \
  } while (0)

#define INGOT_RETURN_IF_ERROR_CTX(expr, ...)                 \
  do {                                                       \
    ingot_status_t st__ = (expr);                            \
    if (st__) return ingot_status_annotate(st__, __VA_ARGS__); \
  } while (0)

/* Internal invariants (bugs, not user errors). */
void ingot_assert_fail(const char *file, int line, const char *cond);
#define INGOT_ASSERT(c) ((c) ? (void)0 : ingot_assert_fail(__FILE__, __LINE__, #c))

#endif
