/**
 * The aggregator service's configuration: one YAML file parsed once into an immutable {@link
 * org.fedsum.aggregator.config.AggregatorConfig} and validated before anything starts.
 *
 * <p>Depends on Jackson and the crypto module's site-id rule only; never on Vert.x, so a bad file
 * is refused before a server or thread pool exists.
 */
package org.fedsum.aggregator.config;
