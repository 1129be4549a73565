/**
 * The compliance audit of DESIGN.md §7: offline verification of a run's journals (each journal's
 * chain and signatures against the federation CA, then the silo journals cross-checked against the
 * aggregator's) and the facts read from them that the report and the lineage manifests present.
 *
 * <p>Depends on the protocol's journal and privacy accountant and on the crypto module's PKI only:
 * never on the aggregator or the silo node, so that an auditor runs it without either.
 */
package org.fedsum.audit;
