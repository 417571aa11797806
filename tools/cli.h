/* The ingot command-line program: one file per subcommand. */
#ifndef INGOT_CLI_H
#define INGOT_CLI_H

#include "ir/ir.h"

/* Prints "error: <message>" as one line (control characters from hostile
 * names are replaced) and returns the exit code for the status. */
int cli_fail(ingot_status_t st);
/* Usage error: prints "error: <msg>" and a hint; returns 1. */
int cli_usage(const char *cmd, const char *fmt, ...) INGOT_PRINTF(2, 3);

/* import + shape inference + verifier: what every command starts with. */
ingot_status_t cli_load_model(const char *path, ingot_graph_t **out) INGOT_MUST_USE;

int cmd_inspect(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_quant_report(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_quant_trajectory(int argc, char **argv); /* quant-report --trajectory */

#endif
