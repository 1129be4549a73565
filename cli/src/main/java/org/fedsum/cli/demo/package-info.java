/**
 * {@code fedsum demo}: a whole federation on this machine in one command: a throwaway CA and kits,
 * the aggregator in this process, one JVM per silo (DJL's engine state is per process), a run with
 * secure aggregation and DP, one line per round, and {@code summary.json} for scripts.
 */
package org.fedsum.cli.demo;
