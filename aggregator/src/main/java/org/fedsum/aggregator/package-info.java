/**
 * The aggregator service (to come with its issue): Vert.x 5 HTTPS server with mutual TLS, round
 * coordinator feeding the protocol core, streaming modular sum, journal, recovery, operator API and
 * dashboard.
 *
 * <p>Must not depend on DJL or Bouncy Castle.
 */
package org.fedsum.aggregator;
