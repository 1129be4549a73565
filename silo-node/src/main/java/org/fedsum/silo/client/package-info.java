/**
 * The silo's client of the aggregator API (docs/API.md) and the driver that takes part in one
 * secure-aggregation round through {@link org.fedsum.protocol.SiloProtocol}. Outbound HTTPS only,
 * mutual TLS 1.3 through {@link org.fedsum.crypto.MutualTls}.
 *
 * <p>Must not depend on the aggregator module or on DJL: it moves protocol messages and encoded
 * vectors, never training data.
 */
package org.fedsum.silo.client;
