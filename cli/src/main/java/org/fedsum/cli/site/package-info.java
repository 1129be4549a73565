/**
 * {@code fedsum aggregator} and {@code fedsum silo}: run a site from its kit, with the overrides a
 * container needs (a read-only kit, state elsewhere, every interface).
 */
package org.fedsum.cli.site;
