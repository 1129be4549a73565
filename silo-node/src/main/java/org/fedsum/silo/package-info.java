/**
 * The silo node (to come with its issue): local DJL training, datasets, privacy budget enforcement,
 * the aggregator client and the silo journal.
 *
 * <p>Must not depend on Bouncy Castle (cryptography comes through {@code org.fedsum.crypto}).
 */
package org.fedsum.silo;
