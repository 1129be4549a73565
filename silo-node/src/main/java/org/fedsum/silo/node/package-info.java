/**
 * The silo node as a service (docs/SILO.md): its configuration, its signed journal, its privacy
 * rules and ledgers (silo-level and record-level, DESIGN.md §5), local training on its own data,
 * and the round loop that ties them to the aggregator client.
 */
package org.fedsum.silo.node;
