#include "ingot_rt.h"

const char *ingot_rt_version(void) { return INGOT_RT_VERSION; }
