/**
 * The silo node: local DJL training ({@code org.fedsum.silo.training}), datasets and simulation
 * partitions ({@code org.fedsum.silo.data}); the aggregator client, privacy budget enforcement and
 * the silo journal come with their issues.
 *
 * <p>Must not depend on Bouncy Castle (cryptography comes through {@code org.fedsum.crypto}) nor on
 * server code: a silo only opens outbound connections. DJL stays inside {@code
 * org.fedsum.silo.training}.
 */
package org.fedsum.silo;
