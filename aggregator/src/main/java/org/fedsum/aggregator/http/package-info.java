/**
 * The aggregator's HTTPS front: a Vert.x 5 verticle with TLS 1.3 and required client certificates,
 * per-request identity checks against the federation CA, CRL and roster, role gates, body limits,
 * and the one failure handler that turns every refusal into the documented JSON error (see {@code
 * docs/ERRORS.md}), the Prometheus endpoint and the operator's dashboard (see {@code docs/API.md}).
 *
 * <p>Reaches cryptography only through {@code org.fedsum.crypto}'s public API; never trains and
 * never imports Bouncy Castle.
 */
package org.fedsum.aggregator.http;
