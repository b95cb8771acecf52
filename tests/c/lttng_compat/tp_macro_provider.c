/* Probes of provider "ros2_like" (its own unit, as in ROS 2's tracetools). */
#define TRACEPOINT_CREATE_PROBES
#include "tp_macro_provider.h"
