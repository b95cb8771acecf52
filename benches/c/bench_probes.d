/*
 * The ust-dtrace benchmark's provider: the int3 event of bench_tp_ust.h,
 * declared as a DTrace provider file.
 */
provider dtbench {
	probe int3(int64_t a, int32_t b, uint32_t c);
};
