/**
 * Model lineage manifests: for every published global model, a JSON document signed with the
 * aggregator's certificate key naming the run, the rounds and the silos that contributed to each,
 * the DP parameters and ε spent, the code version and the previous model's hash, so that any model
 * file can be traced to how it was produced.
 *
 * <p>Depends on the protocol's accountant and the crypto module's signatures and PKI only, so the
 * aggregator can write manifests at run time and an auditor can verify them offline.
 */
package org.fedsum.audit.lineage;
